"""Stable segment ids from night to night.

Today's centroids are matched to the previous run's active segments with the Hungarian
algorithm on the Euclidean distance between centroids, both scaled with today's scaler. A pair
further apart than ``max_distance`` is not a match. Unmatched centroids get new ids (never a
reused one); unmatched previous segments are retired.

The history table (curated/segment_centroids) holds every segment ever seen: segment_id,
status (active | retired), first_run, last_run, retired_on, persons, label, profile_json and the
centroid in model-input units, one ``c_<column>`` per model column.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from alliance_pipeline.segmentation.kmeans import Scaler

ID_PREFIX = "seg-"


def centroid_columns(model_columns: tuple[str, ...]) -> list[str]:
    return [f"c_{c}" for c in model_columns]


def format_id(number: int) -> str:
    return f"{ID_PREFIX}{number:03d}"


def _id_number(segment_id: str) -> int:
    return int(segment_id.removeprefix(ID_PREFIX))


def match_ids(
    previous: pd.DataFrame | None,
    centroids: np.ndarray,
    scaler: Scaler,
    max_distance: float,
) -> tuple[list[str], list[str]]:
    """Segment id per row of ``centroids`` (model-input units) and the retired ids."""
    active = (
        previous[previous["status"] == "active"].reset_index(drop=True)
        if previous is not None
        else pd.DataFrame(columns=["segment_id"])
    )
    ids: list[str | None] = [None] * len(centroids)
    matched_prev: set[int] = set()
    if len(active) and len(centroids):
        prev_c = active[centroid_columns(scaler.columns)].to_numpy(dtype=float)
        a = np.array([scaler.scale_point(list(p)) for p in prev_c])
        b = np.array([scaler.scale_point(list(c)) for c in centroids])
        cost = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
        for i, j in zip(*linear_sum_assignment(cost), strict=True):
            if cost[i, j] <= max_distance:
                ids[j] = active.loc[i, "segment_id"]
                matched_prev.add(i)
    used = [] if previous is None else [_id_number(s) for s in previous["segment_id"]]
    next_number = max(used, default=0) + 1
    for j in range(len(ids)):
        if ids[j] is None:
            ids[j] = format_id(next_number)
            next_number += 1
    retired = [active.loc[i, "segment_id"] for i in range(len(active)) if i not in matched_prev]
    return [str(i) for i in ids], retired


def advance_history(
    previous: pd.DataFrame | None, current: pd.DataFrame, dt: datetime.date
) -> pd.DataFrame:
    """Today's history: ``current`` (one row per active segment today, with segment_id,
    persons, label, profile_json and c_* columns) plus every earlier segment, those active
    yesterday and absent today retired on ``dt``."""
    today = current.copy()
    first = (
        {}
        if previous is None
        else dict(zip(previous["segment_id"], previous["first_run"], strict=True))
    )
    today["first_run"] = [first.get(s, dt) for s in today["segment_id"]]
    today["last_run"] = dt
    today["retired_on"] = None
    today["status"] = "active"
    if previous is None or previous.empty:
        return today.reset_index(drop=True)
    older = previous[~previous["segment_id"].isin(today["segment_id"])].copy()
    newly_retired = older["status"] == "active"
    older.loc[newly_retired, "retired_on"] = dt
    older.loc[newly_retired, "status"] = "retired"
    return pd.concat([today, older[today.columns]], ignore_index=True)
