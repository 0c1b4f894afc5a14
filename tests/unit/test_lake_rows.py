"""The zone comparison the cluster test relies on: same rows in other files and order pass;
a changed value, a missing row or a missing partition is reported."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.lake_rows import parquet_content, row_differences

pytestmark = pytest.mark.unit

SCHEMA = pa.schema(
    [("person_key", pa.string()), ("segment_id", pa.string()), ("score", pa.float64())]
)
ROWS = [
    {"person_key": "a", "segment_id": "seg-001", "score": 0.1 + 0.2},
    {"person_key": "b", "segment_id": "seg-002", "score": 1.2264737425990804},
    {"person_key": "c", "segment_id": "seg-001", "score": None},
]


def write(root, folder: str, *parts: list[dict]) -> None:
    path = root / folder
    path.mkdir(parents=True)
    for i, rows in enumerate(parts):
        pq.write_table(pa.Table.from_pylist(rows, SCHEMA), path / f"part-{i:05d}.parquet")


def test_same_rows_in_other_files_and_order_match(tmp_path):
    write(tmp_path / "a", "seg/run_date=2026-11-23", ROWS)
    rounded_differently = {**ROWS[1], "score": 1.2264737425990808}  # a sum in another order
    write(tmp_path / "b", "seg/run_date=2026-11-23", [ROWS[2]], [rounded_differently, ROWS[0]])
    assert row_differences(tmp_path / "a", tmp_path / "b") == []
    write(tmp_path / "c", "seg/run_date=2026-11-23", [ROWS[2], ROWS[1]], [ROWS[0]])
    assert parquet_content(tmp_path / "a") == parquet_content(tmp_path / "c")


def test_changed_missing_rows_and_partitions_are_reported(tmp_path):
    write(tmp_path / "a", "seg/run_date=2026-11-23", ROWS)
    write(tmp_path / "a", "seg/run_date=2026-11-24", ROWS)
    changed = {**ROWS[0], "score": 0.3001}
    write(tmp_path / "b", "seg/run_date=2026-11-23", [changed, *ROWS[1:]])
    write(tmp_path / "c", "seg/run_date=2026-11-23", ROWS[:2])
    write(tmp_path / "c", "seg/run_date=2026-11-24", [{**ROWS[1], "segment_id": "seg-009"}])
    assert row_differences(tmp_path / "a", tmp_path / "b") == [
        f"only in {tmp_path / 'a'}: seg/run_date=2026-11-24",
        f"seg/run_date=2026-11-23: 3 vs 3 rows, 1 unequal; first: {ROWS[0]} vs {changed}",
    ]
    missing = row_differences(tmp_path / "a", tmp_path / "c")
    assert [m.split(";")[0] for m in missing] == [
        "seg/run_date=2026-11-23: 3 vs 2 rows, 0 unequal",
        "seg/run_date=2026-11-24: 3 vs 1 rows, 1 unequal",
    ]
