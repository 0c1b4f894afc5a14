"""A profile per segment in plain units and a readable label from its dominant traits."""

from __future__ import annotations

import json

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.contracts import CATEGORIES

PROFILE_COLUMNS = (
    "persons",
    "median_spend_cny",
    "median_watch_minutes",
    "median_recency_days",
    "median_frequency",
    "buyer_share",
    "mean_completion_rate",
    "mean_sources_touched",
    "top_categories",
    "top_tier",
)
TOP_CATEGORIES = 3
MIN_TOP_SHARE = 0.10  # a category under this mean share is not "top"


def median(column: str):
    return F.percentile_approx(F.col(column).cast("double"), 0.5, 10_000)


def segment_stats(features: DataFrame, assignments: DataFrame) -> DataFrame:
    """One row per segment_id: size, medians and means in plain units, mean category shares,
    persons per membership tier. ``assignments``: person_key, segment_id."""
    df = features.join(assignments, "person_key")
    return df.groupBy("segment_id").agg(
        F.count(F.lit(1)).alias("persons"),
        F.round(median("monetary_cny"), 2).alias("median_spend_cny"),
        F.round(median("watch_minutes"), 1).alias("median_watch_minutes"),
        median("recency_days").alias("median_recency_days"),
        median("frequency").alias("median_frequency"),
        F.round(F.avg((F.col("frequency") > 0).cast("double")), 3).alias("buyer_share"),
        F.round(F.avg("completion_rate"), 3).alias("mean_completion_rate"),
        F.round(F.avg("sources_touched"), 2).alias("mean_sources_touched"),
        *[F.avg(f"share_{c}").alias(f"share_{c}") for c in CATEGORIES],
        F.mode("membership_tier").alias("top_tier"),
    )


def _top_categories(row: pd.Series) -> list[str]:
    shares = sorted(((row[f"share_{c}"], c) for c in CATEGORIES), reverse=True)
    return [c for s, c in shares[:TOP_CATEGORIES] if s >= MIN_TOP_SHARE]


def label(row: pd.Series, population: dict[str, float], lookback_days: int) -> str:
    """'<spend/recency trait> <engagement trait>', e.g. 'high-spend finishers'."""
    if row["median_frequency"] == 0 or row["buyer_share"] < 0.5:
        lapsed = row["median_recency_days"] >= lookback_days / 2
        spend = "lapsed" if lapsed and row["buyer_share"] > 0.2 else "non-paying"
    elif row["median_spend_cny"] >= population["spend_p75"]:
        spend = "high-spend"
    elif row["median_recency_days"] >= lookback_days / 2:
        spend = "lapsed"
    else:
        spend = "regular"
    if row["median_watch_minutes"] == 0:
        engagement = "browsers" if _top_categories(row) else "dormants"
    elif row["mean_completion_rate"] >= 0.6:
        engagement = "finishers"
    elif row["median_watch_minutes"] >= population["watch_p75"]:
        engagement = "heavy watchers"
    else:
        engagement = "browsers"
    return f"{spend} {engagement}"


def profiles(stats: pd.DataFrame, lookback_days: int) -> pd.DataFrame:
    """``segment_stats`` collected to pandas -> segment_id, PROFILE_COLUMNS, label,
    profile_json. Labels are made unique by the top category, then by the id."""
    population = {
        "spend_p75": float(stats["median_spend_cny"].quantile(0.75)),
        "watch_p75": float(stats["median_watch_minutes"].quantile(0.75)),
    }
    out = stats.copy()
    out["top_categories"] = [";".join(_top_categories(r)) for _, r in stats.iterrows()]
    out["label"] = [label(r, population, lookback_days) for _, r in stats.iterrows()]
    for by in ("top_categories", "segment_id"):
        dup = out["label"].duplicated(keep=False)
        out.loc[dup, "label"] = [
            f"{lab} ({out.loc[i, by] or 'mixed'})" for i, lab in out.loc[dup, "label"].items()
        ]
    out["profile_json"] = [
        json.dumps({c: _plain(r[c]) for c in PROFILE_COLUMNS}, sort_keys=True)
        for _, r in out.iterrows()
    ]
    return out[["segment_id", *PROFILE_COLUMNS, "label", "profile_json"]].reset_index(drop=True)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return value
