"""Stable segment ids from night to night.

Today's centroids are matched to the previous run's active segments with the Hungarian
algorithm on the Euclidean distance between centroids, both scaled with today's scaler. A pair
further apart than ``max_distance`` is not a match. Unmatched centroids get new ids (never a
reused one); unmatched previous segments are retired.

The previous run's active centroids are also where tonight's KMeans starts (``warm_start``),
so a night whose data did not move keeps its centres, its k and therefore its ids.

The history table (curated/segment_centroids) holds every segment ever seen: segment_id,
status (active | retired), first_run, last_run, retired_on, persons, label, profile_json, the
centroid in model-input units, one ``c_<column>`` per model column, and k_chosen_on (the run
date k was last chosen by the scan, the same on every row of a run). A history
written with other model columns is matched on the columns both have and not warm-started.
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


def _active(previous: pd.DataFrame | None) -> pd.DataFrame:
    if previous is None:
        return pd.DataFrame(columns=["segment_id"])
    return previous[previous["status"] == "active"].reset_index(drop=True)


def warm_start(previous: pd.DataFrame | None, scaler: Scaler) -> np.ndarray | None:
    """The previous run's active centroids scaled with today's scaler, in segment id order;
    None without any, or when they were written with other model columns."""
    active = _active(previous)
    columns = centroid_columns(scaler.columns)
    if active.empty or not set(columns) <= set(active.columns):
        return None
    active = active.sort_values("segment_id")
    raw = active[columns].to_numpy(dtype=float)
    if np.isnan(raw).any():
        return None
    return np.array([scaler.scale_point(list(p)) for p in raw])


def k_chosen_on(previous: pd.DataFrame | None) -> datetime.date | None:
    """The run date k was last chosen (None for a history without it)."""
    if previous is None or "k_chosen_on" not in previous or previous["k_chosen_on"].isna().all():
        return None
    value = previous["k_chosen_on"].dropna().max()
    return value if isinstance(value, datetime.date) else pd.Timestamp(value).date()


def match_ids(
    previous: pd.DataFrame | None,
    centroids: np.ndarray,
    scaler: Scaler,
    max_distance: float,
) -> tuple[list[str], list[str]]:
    """Segment id per row of ``centroids`` (model-input units) and the retired ids."""
    active = _active(previous)
    ids: list[str | None] = [None] * len(centroids)
    matched_prev: set[int] = set()
    shared = [
        i for i, c in enumerate(centroid_columns(scaler.columns)) if c in active.columns
    ]  # all of them unless the model columns changed since
    if len(active) and len(centroids) and shared:
        prev_c = active[[centroid_columns(scaler.columns)[i] for i in shared]].to_numpy(float)
        means = np.array(scaler.means)[shared]
        stds = np.array(scaler.stds)[shared]
        a = (prev_c - means) / stds
        b = (np.asarray(centroids, dtype=float)[:, shared] - means) / stds
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
    previous: pd.DataFrame | None,
    current: pd.DataFrame,
    dt: datetime.date,
    chosen_on: datetime.date | None = None,
) -> pd.DataFrame:
    """Today's history: ``current`` (one row per active segment today, with segment_id,
    persons, label, profile_json and c_* columns) plus every earlier segment, those active
    yesterday and absent today retired on ``dt``; k_chosen_on is ``chosen_on`` (default
    ``dt``) on every row."""
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
    today["k_chosen_on"] = chosen_on or dt
    if previous is None or previous.empty:
        return today.reset_index(drop=True)
    older = previous[~previous["segment_id"].isin(today["segment_id"])].copy()
    newly_retired = older["status"] == "active"
    older.loc[newly_retired, "retired_on"] = dt
    older.loc[newly_retired, "status"] = "retired"
    older["k_chosen_on"] = chosen_on or dt
    return pd.concat([today, older.reindex(columns=today.columns)], ignore_index=True)
