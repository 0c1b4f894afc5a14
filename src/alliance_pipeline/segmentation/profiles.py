"""A profile per segment in plain units and a readable label from its dominant traits.

A label is '<buying> <engagement>', e.g. 'frequent high-spend finishers'. Buying names spend
and recency as before and, when the buying segments differ in how often they buy (the highest
mean frequency at least ``FREQUENCY_SPREAD`` times the lowest), frequency too: 'frequent' above
the geometric middle of the two, 'occasional' below. Labels of the live segments are unique:
duplicates get the top category, then the segment id (in segment id order, so the same profiles
always get the same labels).
"""

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
    "mean_frequency",
    "buyer_share",
    "mean_completion_rate",
    "mean_sources_touched",
    "top_categories",
    "top_tier",
)
TOP_CATEGORIES = 3
MIN_TOP_SHARE = 0.10  # a category under this mean share is not "top"
FREQUENCY_SPREAD = 1.5


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
        F.round(F.avg("frequency"), 2).alias("mean_frequency"),
        F.round(F.avg((F.col("frequency") > 0).cast("double")), 3).alias("buyer_share"),
        F.round(F.avg("completion_rate"), 3).alias("mean_completion_rate"),
        F.round(F.avg("sources_touched"), 2).alias("mean_sources_touched"),
        *[F.avg(f"share_{c}").alias(f"share_{c}") for c in CATEGORIES],
        F.mode("membership_tier").alias("top_tier"),
    )


def _top_categories(row: pd.Series) -> list[str]:
    shares = sorted(((row[f"share_{c}"], c) for c in CATEGORIES), reverse=True)
    return [c for s, c in shares[:TOP_CATEGORIES] if s >= MIN_TOP_SHARE]


def _buying(row: pd.Series) -> bool:
    return not (row["median_frequency"] == 0 or row["buyer_share"] < 0.5)


def frequency_words(stats: pd.DataFrame) -> dict[str, str]:
    """segment_id -> 'frequent' | 'occasional' for the buying segments, when frequency tells
    them apart; empty otherwise."""
    buying = stats[[_buying(r) for _, r in stats.iterrows()]]
    if len(buying) < 2:
        return {}
    low, high = float(buying["mean_frequency"].min()), float(buying["mean_frequency"].max())
    if low <= 0 or high < FREQUENCY_SPREAD * low:
        return {}
    middle = (low * high) ** 0.5
    return {
        r.segment_id: "frequent" if r.mean_frequency >= middle else "occasional"
        for r in buying.itertuples()
    }


def label(
    row: pd.Series, population: dict[str, float], lookback_days: int, frequency: str = ""
) -> str:
    """'<frequency> <spend/recency trait> <engagement trait>', e.g. 'frequent high-spend
    finishers'; ``frequency`` from :func:`frequency_words` ('' when it does not separate)."""
    if not _buying(row):
        lapsed = row["median_recency_days"] >= lookback_days / 2
        spend = "lapsed" if lapsed and row["buyer_share"] > 0.2 else "non-paying"
    elif row["median_spend_cny"] >= population["spend_p75"]:
        spend = "high-spend"
    elif row["median_recency_days"] >= lookback_days / 2:
        spend = "lapsed"
    else:
        spend = "" if frequency else "regular"
    if row["median_watch_minutes"] == 0:
        engagement = "browsers" if _top_categories(row) else "dormants"
    elif row["mean_completion_rate"] >= 0.6:
        engagement = "finishers"
    elif row["median_watch_minutes"] >= population["watch_p75"]:
        engagement = "heavy watchers"
    else:
        engagement = "browsers"
    return " ".join(w for w in (frequency, spend, engagement) if w)


def unique_labels(labels: pd.Series, qualifiers: list[pd.Series]) -> pd.Series:
    """``labels`` (indexed by segment id) with each group of equal labels qualified, in
    brackets, by the first of ``qualifiers`` that tells the whole group apart; the segment id
    when none does."""
    out = labels.copy()
    for q in [*qualifiers, pd.Series(labels.index, index=labels.index)]:
        for lab, group in out.groupby(out, sort=True):
            extra = q[group.index].fillna("")
            if len(group) < 2 or extra.eq("").any() or extra.nunique() < len(group):
                continue
            out[group.index] = [f"{lab} ({x})" for x in extra]
    return out


def profiles(stats: pd.DataFrame, lookback_days: int) -> pd.DataFrame:
    """``segment_stats`` collected to pandas -> segment_id, PROFILE_COLUMNS, label,
    profile_json, in segment id order. Labels are unique (see the module doc)."""
    stats = stats.sort_values("segment_id").reset_index(drop=True)
    population = {
        "spend_p75": float(stats["median_spend_cny"].quantile(0.75)),
        "watch_p75": float(stats["median_watch_minutes"].quantile(0.75)),
    }
    words = frequency_words(stats)
    out = stats.copy()
    out["top_categories"] = [";".join(_top_categories(r)) for _, r in stats.iterrows()]
    out["label"] = [
        label(r, population, lookback_days, words.get(r["segment_id"], ""))
        for _, r in stats.iterrows()
    ]
    first_category = out["top_categories"].str.split(";").str[0]
    by_id = out.set_index("segment_id")
    out["label"] = unique_labels(
        by_id["label"], [first_category.set_axis(by_id.index), by_id["top_categories"]]
    ).to_numpy()
    out["profile_json"] = [
        json.dumps({c: _plain(r[c]) for c in PROFILE_COLUMNS}, sort_keys=True)
        for _, r in out.iterrows()
    ]
    return out[["segment_id", *PROFILE_COLUMNS, "label", "profile_json"]].reset_index(drop=True)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return value
