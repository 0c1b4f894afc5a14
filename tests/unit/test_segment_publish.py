"""Publishing segments to the marts: small segments merged into other, reruns replace."""

import datetime
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import read_partition
from alliance_pipeline.segmentation.publish import OTHER, publish_segments
from alliance_pipeline.warehouse import open_warehouse

pytestmark = pytest.mark.unit

DS = "2026-11-23"
D = datetime.date.fromisoformat(DS)


def write(root, dataset, df):
    part = paths.partition(dataset, root, run_date=DS)
    part.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), part / "part-0.parquet")


def profile(persons):
    return json.dumps({"persons": persons, "median_spend_cny": 12.5,
                       "median_watch_minutes": 30.0, "top_categories": "arts"})  # fmt: skip


@pytest.fixture
def lake_with_segments(tmp_path):
    sizes = {"seg-001": 8, "seg-002": 3, "seg-003": 2}
    ps = pd.DataFrame(
        [(f"{s}-p{i}", s) for s, n in sizes.items() for i in range(n)],
        columns=["person_key", "segment_id"],
    )
    write(tmp_path, paths.PERSON_SEGMENT, ps)
    history = pd.DataFrame({
        "segment_id": ["seg-001", "seg-002", "seg-003", "seg-004", "seg-005"],
        "status": ["active", "active", "active", "retired", "retired"],
        "first_run": [D - datetime.timedelta(days=3), D, D, D - datetime.timedelta(days=9), D - datetime.timedelta(days=9)],
        "last_run": [D, D, D, D - datetime.timedelta(days=1), D - datetime.timedelta(days=2)],
        "retired_on": [None, None, None, D, D - datetime.timedelta(days=1)],
        "persons": [8, 3, 2, 40, 4],
        "label": ["high-spend finishers", "lapsed browsers", "regular browsers", "x", "y"],
        "profile_json": [profile(n) for n in (8, 3, 2, 40, 4)],
    })  # fmt: skip
    write(tmp_path, paths.SEGMENT_CENTROIDS, history)
    return tmp_path


def test_small_segments_merge_into_other_and_rerun_replaces(tmp_path, lake_with_segments):
    wh = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    wh.migrate()
    for _ in range(2):  # a rerun replaces, never duplicates
        summary = publish_segments(wh, DS, lake_with_segments, k=5)
    assert summary["merged_into_other"] == ["seg-002", "seg-003"]
    assert summary["suppressed_persons"] == 0
    counts = dict(
        wh.query(
            "SELECT segment_id, COUNT(*) FROM mart.person_segment WHERE run_date = ? GROUP BY 1",
            [D],
        )
    )
    assert counts == {"seg-001": 8, OTHER: 5}
    dim = wh.query_df("SELECT * FROM mart.dim_segment ORDER BY segment_id")
    # seg-005 retired with 4 persons at its last run: below k, never published
    assert list(dim["segment_id"]) == ["other", "seg-001", "seg-004"]
    retired = dim.set_index("segment_id").loc["seg-004"]
    assert (retired["status"], pd.Timestamp(retired["retired_on"]).date()) == ("retired", D)
    assert json.loads(dim.set_index("segment_id").loc["other", "profile_json"])["persons"] == 5


def test_a_rerun_of_an_earlier_night_keeps_the_later_dim(tmp_path, lake_with_segments):
    wh = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    wh.migrate()
    publish_segments(wh, DS, lake_with_segments, k=5)
    later = wh.query("SELECT * FROM mart.dim_segment ORDER BY segment_id")
    earlier = D - datetime.timedelta(days=1)
    for zone in (paths.PERSON_SEGMENT, paths.SEGMENT_CENTROIDS):
        src = paths.partition(zone, lake_with_segments, run_date=DS)
        dst = src.with_name(f"run_date={earlier}")
        dst.mkdir()
        (dst / "part-0.parquet").write_bytes((src / "part-0.parquet").read_bytes())
    publish_segments(wh, earlier.isoformat(), lake_with_segments, k=5)
    assert wh.query("SELECT * FROM mart.dim_segment ORDER BY segment_id") == later
    runs = wh.query("SELECT run_date, count(*) FROM mart.person_segment GROUP BY 1 ORDER BY 1")
    assert runs == [(earlier, 13), (D, 13)]


def test_other_below_k_is_left_out(tmp_path, lake_with_segments):
    wh = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    wh.migrate()
    summary = publish_segments(wh, DS, lake_with_segments, k=6)
    assert summary["suppressed_persons"] == 5
    assert wh.query("SELECT DISTINCT segment_id FROM mart.person_segment") == [("seg-001",)]
    assert wh.query("SELECT segment_id FROM mart.dim_segment ORDER BY 1") == [
        ("seg-001",),
        ("seg-004",),
    ]


def test_lake_reader_recovers_partition_keys_and_reads_naive_timestamps_as_utc(tmp_path):
    """Spark's layout: no dt/source column in the files; an old INT96 file reads tz-naive."""
    root = paths.path(paths.clean("orders"), tmp_path)
    naive = pa.table({"order_id": ["o1"], "at": pa.array([datetime.datetime(2026, 11, 23, 5)])})
    aware = pa.table(
        {
            "order_id": ["o2"],
            "at": pa.array(
                [datetime.datetime(2026, 11, 23, 6, tzinfo=datetime.UTC)], pa.timestamp("us", "UTC")
            ),
            "drifted": ["x"],
        }
    )
    for source, table in (("moonbay", aware), ("platform", naive)):
        (root / f"dt={DS}" / f"source={source}").mkdir(parents=True)
        pq.write_table(table, root / f"dt={DS}" / f"source={source}" / "part-0.parquet")
    got = (
        read_partition(tmp_path, paths.clean("orders"), dt=DS)
        .sort_values("order_id")
        .reset_index(drop=True)
    )
    assert list(got["source"]) == ["platform", "moonbay"]
    assert list(got["dt"]) == [D, D]
    assert str(got["at"].dtype) == "datetime64[us, UTC]"
    assert list(got["at"].dt.hour) == [5, 6]  # the naive value is a UTC instant, not shifted
    with pytest.raises(FileNotFoundError, match="dt=2026-11-24"):
        read_partition(tmp_path, paths.clean("orders"), dt="2026-11-24")
