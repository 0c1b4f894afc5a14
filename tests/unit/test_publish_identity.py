"""publish_identity and rekey_warehouse on a real DuckDB warehouse."""

import datetime
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.privacy.min_cell import SUPPRESSED
from alliance_pipeline.privacy.publish import publish_identity
from alliance_pipeline.privacy.rekey import rekey_warehouse
from alliance_pipeline.warehouse import open_warehouse

pytestmark = pytest.mark.unit

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@pytest.fixture
def wh(tmp_path):
    own = tmp_path / "migrations"
    own.mkdir()
    for f in MIGRATIONS.glob("2[0-9][0-9]_*.sql"):
        shutil.copy(f, own)
    warehouse = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    warehouse.migrate(own)
    return warehouse


def _persons(root: Path, dt: str, sources: list[str]):
    folder = paths.partition(paths.PERSONS, Path(root), dt=dt)
    folder.mkdir(parents=True)
    keys = [f"{i:064x}" for i in range(len(sources))]
    pq.write_table(pa.table({"person_key": keys, "sources": sources}), folder / "part-0.parquet")


def test_overlap_published_with_summary_and_rerun_replaces(wh, tmp_path):
    root = tmp_path / "lake"
    _persons(root, "2026-11-23", ["moonbay;platform"] * 7 + ["platform;tidewave"] * 2 + ["lumen"])
    assert publish_identity(wh, "2026-11-23", root, k=5) == publish_identity(
        wh, "2026-11-23", root, k=5
    )
    rows = wh.query(
        "SELECT source_a, source_b, persons, suppressed_cells FROM mart.partner_overlap "
        "WHERE dt = ? ORDER BY source_a, source_b",
        [datetime.date(2026, 11, 23)],
    )
    # platform-tidewave (2) is below k; folded alone it would still be below k, so the next
    # smallest pair (moonbay-platform, 7) is folded too: the total still reconciles
    assert (SUPPRESSED, SUPPRESSED, 9, 2) in rows
    assert sum(r[2] for r in rows) == 9
    assert not [r for r in rows if r[:2] in (("platform", "tidewave"), ("moonbay", "platform"))]
    assert all(p == 0 or p >= 5 for _, _, p, _ in rows)


def test_rekey_warehouse_moves_every_person_key(wh, tmp_path):
    wh.execute(
        "CREATE TABLE mart.person_segment_t (person_key TEXT, key_version TEXT, seg INTEGER)"
    )
    wh.execute(
        "INSERT INTO mart.person_segment_t VALUES ('a', 'v1', 1), ('b', 'v1', 2), ('z', 'v1', 3)"
    )
    root = tmp_path / "lake"
    folder = paths.partition(paths.REKEY, Path(root), key_version="v2")
    folder.mkdir(parents=True)
    mapping = {
        "old_person_key": ["a", "b"],
        "new_person_key": ["A", "B"],
        "new_key_version": ["v2"] * 2,
    }
    pq.write_table(pa.table(mapping), folder / "part-0.parquet")
    assert "mart.person_segment_t" in rekey_warehouse(wh, root, "v2")
    got = wh.query("SELECT person_key, key_version, seg FROM mart.person_segment_t ORDER BY seg")
    assert got == [("A", "v2", 1), ("B", "v2", 2), ("z", "v1", 3)]
