"""Validated and quarantine partitions are swapped in whole: a failed write keeps the last one."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliance_pipeline.validation import quarantine
from alliance_pipeline.validation.quarantine import write_validated

pytestmark = pytest.mark.unit

DT = "2026-11-23"


def test_a_failed_write_keeps_the_previous_partition(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(tmp_path))
    path = write_validated(pa.table({"order_id": ["o1", "o2"]}), "moonbay", "orders", DT)
    before = pq.read_table(path)

    def half_written(table, where):
        (where.parent / "part-00000.parquet").write_bytes(b"PAR1 torn")
        raise OSError("disk full")

    monkeypatch.setattr(quarantine.pq, "write_table", half_written)
    with pytest.raises(OSError, match="disk full"):
        write_validated(pa.table({"order_id": ["o3"]}), "moonbay", "orders", DT)
    assert pq.read_table(path).equals(before)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    monkeypatch.undo()
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(tmp_path))
    write_validated(pa.table({"order_id": ["o3"]}), "moonbay", "orders", DT)
    assert pq.read_table(path).column("order_id").to_pylist() == ["o3"]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
