"""Time-based holdout evaluation, in Spark: the lists as shipped, the unconstrained model and
a popularity baseline, judged on the same persons and the same held-out days.

The window's last ``holdout_days`` are held out. For each person known in training, relevant
items are the ones the person touched for the first time in the holdout. Every list is made as
of the last training day, after the one exclusion rule (:func:`.interactions.excluded`):

- ``als_shipped``: the published lists' own code path (:func:`.scoring.recommend` with the
  night's variants: quota, consent, cold start), as the product would have shown them;
- ``als``: the model's best items, no quota, no consent rule, no cold start;
- ``popularity``: items by distinct persons in training.

The metric formulas are those of :mod:`alliance_pipeline.recommendation.metrics` (MAP@k divides
by min(|relevant|, k)), written as Spark SQL higher-order functions; a test checks they agree.
"""

from __future__ import annotations

import datetime

from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.recommendation.factor_scoring import ALL_PERSONS, als_lists, popular_lists
from alliance_pipeline.recommendation.interactions import confidence, window_bounds

METRICS = ("precision", "recall", "ndcg", "map")
NO_SCORES = {"persons": 0, **dict.fromkeys(METRICS, 0.0), "coverage": 0.0}  # nobody judged
SHIPPED, MODEL, POPULARITY = "als_shipped", "als", "popularity"


def holdout_split(
    weighted: DataFrame, dt: str, lookback_days: int, holdout_days: int
) -> tuple[DataFrame, DataFrame]:
    """(training confidences, holdout pairs) from ``interactions.weighted_events`` output."""
    first, last = window_bounds(dt, lookback_days)
    cutoff = training_end(dt, holdout_days)
    train = confidence(weighted, first, cutoff)
    holdout = confidence(weighted, cutoff + datetime.timedelta(days=1), last)
    return train, holdout.select("person_key", "content_id")


def training_end(dt: str, holdout_days: int) -> datetime.date:
    """The last day before the holdout."""
    return datetime.date.fromisoformat(dt) - datetime.timedelta(days=holdout_days)


def relevant_items(train: DataFrame, holdout: DataFrame) -> DataFrame:
    """(user = person_key, rel array): each person known in ``train`` and the items they
    touched first in ``holdout`` (both person_key, content_id)."""
    seen = train.select("person_key", "content_id").distinct()
    return (
        holdout.select("person_key", "content_id")
        .distinct()
        .join(seen, ["person_key", "content_id"], "left_anti")
        .join(seen.select("person_key").distinct(), "person_key")
        .groupBy(F.col("person_key").alias("user"))
        .agg(F.collect_set("content_id").alias("rel"))
    )


def _unconstrained(who: DataFrame) -> DataFrame:
    """``who`` (person_key) with no home source: no cross-brand item, no quota."""
    return who.select(
        "person_key",
        F.lit(None).cast("string").alias("home_source"),
        F.lit(False).alias("marketing_consent"),
    )


def model_lists(
    model: ALSModel,
    index: DataFrame,
    who: DataFrame,
    brands: DataFrame,
    excluded: DataFrame,
    n: int,
) -> DataFrame:
    """The model's ``n`` best items for ``who``, after the exclusions only."""
    return als_lists(model, index, _unconstrained(who), brands, excluded, n=n, quota=0, pool=0)


def popularity_lists(
    train: DataFrame, who: DataFrame, brands: DataFrame, excluded: DataFrame, n: int
) -> DataFrame:
    """The ``n`` items most persons touched in ``train``, after the exclusions; ties by
    content_id."""
    popular = train.groupBy("content_id").agg(
        F.countDistinct("person_key").cast("double").alias("score")
    )
    people = _unconstrained(who).withColumn("segment", F.lit(ALL_PERSONS))
    return popular_lists(
        people,
        popular.withColumn("segment", F.lit(ALL_PERSONS)),
        brands,
        excluded,
        n=n,
        quota=0,
        pool=0,
    )


def ranked(lists: DataFrame) -> DataFrame:
    """Lists (person_key, rank, content_id) -> (user, rec array, in rank order)."""
    return lists.groupBy(F.col("person_key").alias("user")).agg(
        F.transform(
            F.array_sort(F.collect_list(F.struct("rank", "content_id"))), lambda s: s["content_id"]
        ).alias("rec")
    )


def ranking_metrics(recs: DataFrame, relevant: DataFrame, k: int, catalog_size: int) -> dict:
    """Means over persons with relevant items: recs (user, rec), relevant (user, rel)."""
    hits = (
        f"transform(slice(coalesce(rec, array()), 1, {k}), x -> IF(array_contains(rel, x), 1D, 0D))"
    )
    total = "aggregate(hits, 0D, (a, x) -> a + x)"
    scored = (
        relevant.join(recs, "user", "left")
        .withColumn("hits", F.expr(hits))
        .select(
            "rec",
            F.expr(f"{total} / {k}").alias("precision"),
            F.expr(f"{total} / size(rel)").alias("recall"),
            F.expr(
                "aggregate(transform(hits, (h, i) -> h / log2(i + 2)), 0D, (a, x) -> a + x)"
                f" / aggregate(sequence(1, least(size(rel), {k})), 0D, (a, i) -> a + 1D / log2(i + 1))"
            ).alias("ndcg"),
            F.expr(
                "aggregate(transform(hits, (h, i) -> h * aggregate(slice(hits, 1, i + 1), 0D,"
                " (a, x) -> a + x) / (i + 1)), 0D, (a, x) -> a + x)"
                f" / least(size(rel), {k})"
            ).alias("map"),
        )
    )
    scored = scored.cache()
    row = scored.agg(F.count("*").alias("persons"), *[F.avg(m).alias(m) for m in METRICS]).first()
    items = scored.select(F.explode(F.slice("rec", 1, k)).alias("item")).distinct().count()
    out = {"persons": int(row["persons"])}
    out.update({m: float(row[m] or 0.0) for m in METRICS})
    scored.unpersist()
    out["coverage"] = items / catalog_size if catalog_size else 0.0
    return out


def evaluate(lists: dict[str, DataFrame], relevant: DataFrame, k: int, catalog_size: int) -> list:
    """One row per named list set (person_key, rank, content_id), judged on ``relevant``."""
    return [
        {"model": name, "k": k, **ranking_metrics(ranked(got), relevant, k, catalog_size)}
        for name, got in lists.items()
    ]
