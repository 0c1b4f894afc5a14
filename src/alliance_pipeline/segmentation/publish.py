"""Publish the run's segments to the marts mart.dim_segment and mart.person_segment.

Reads curated/person_segment and curated/segment_centroids of the run date (a local lake
root). Before publishing, segments of fewer than k persons (privacy.min_cell_size) are merged
into segment ``other``; when ``other`` is itself below k its persons are left out of
person_segment (counted in the returned summary). Both tables load in one transaction.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import read_partition
from alliance_pipeline.privacy import min_cell

OTHER = "other"
DIM_COLUMNS = (
    "segment_id",
    "label",
    "status",
    "persons",
    "median_spend_cny",
    "median_watch_minutes",
    "top_categories",
    "profile_json",
    "first_run",
    "last_run",
    "retired_on",
)


def _read(lake_root: str | Path, dataset: str, dt: str, columns: list[str]) -> pd.DataFrame:
    try:
        return read_partition(lake_root, dataset, columns, run_date=dt)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{dataset} run_date={dt}: partition missing; run the segment job"
        ) from None


def dim_rows(
    history: pd.DataFrame, merged: list[str], other_persons: int, dt: datetime.date, k: int
):
    """mart.dim_segment rows: every segment ever seen with at least k persons at its last run
    and not merged today, plus ``other``."""
    keep = history[min_cell.at_least_k(history["persons"], k) & ~history["segment_id"].isin(merged)]
    rows = []
    for r in keep.itertuples():
        p = json.loads(r.profile_json)
        rows.append({
            "segment_id": r.segment_id, "label": r.label, "status": r.status,
            "persons": int(r.persons),
            "median_spend_cny": Decimal(str(p["median_spend_cny"])).quantize(Decimal("0.01")),
            "median_watch_minutes": float(p["median_watch_minutes"]),
            "top_categories": p["top_categories"], "profile_json": r.profile_json,
            "first_run": r.first_run, "last_run": r.last_run,
            "retired_on": None if pd.isna(r.retired_on) else r.retired_on,
        })  # fmt: skip
    if other_persons:
        profile = {"persons": other_persons, "merged_segments": merged}
        rows.append({
            "segment_id": OTHER, "label": "other (small segments merged)", "status": "active",
            "persons": other_persons, "median_spend_cny": None, "median_watch_minutes": None,
            "top_categories": None, "profile_json": json.dumps(profile, sort_keys=True),
            "first_run": dt, "last_run": dt, "retired_on": None,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(DIM_COLUMNS))


def publish_segments(wh, dt: str, lake_root: str | Path, k: int | None = None) -> dict:
    """Load mart.dim_segment (full replace, unless a later night has published) and
    mart.person_segment (partition run_date=dt) in one transaction. Returns counts for the
    task log (no person data)."""
    k = min_cell.min_cell_size() if k is None else k
    day = datetime.date.fromisoformat(dt)
    ps = _read(lake_root, paths.PERSON_SEGMENT, dt, ["person_key", "segment_id"])
    history = _read(
        lake_root,
        paths.SEGMENT_CENTROIDS,
        dt,
        ["segment_id", "status", "first_run", "last_run", "retired_on", "persons", "label",
         "profile_json"],
    )  # fmt: skip
    published, merged, suppressed = min_cell.merge_small_cells(
        ps, "segment_id", "person_key", OTHER, k
    )
    min_cell.assert_publishable(published, ["segment_id"], "person_key", "mart.person_segment", k)
    other_persons = int((published["segment_id"] == OTHER).sum())
    dim = dim_rows(history, merged, other_persons, day, k)
    min_cell.assert_counts_publishable(dim, "persons", "mart.dim_segment", k)
    published.insert(0, "run_date", day)
    with wh.transaction() as tx:
        (latest,) = tx.query("SELECT max(run_date) FROM mart.person_segment")[0]
        if latest is None or day >= latest:  # a rerun of an earlier night keeps the later dim
            tx.replace_table("mart.dim_segment", dim)
        tx.replace_partition("mart.person_segment", {"run_date": day}, published)
    return {
        "run_date": dt,
        "persons": len(ps),
        "published_persons": len(published),
        "segments": len(dim),
        "merged_into_other": merged,
        "suppressed_persons": suppressed,
    }
