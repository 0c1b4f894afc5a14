"""Time-based holdout evaluation of ALS against a popularity baseline, in Spark.

The window's last ``holdout_days`` are held out; a model trained on the earlier days ranks, for
each person known in training, the items the person had not touched in training. Relevant items
are the ones the person touched for the first time in the holdout. The popularity baseline
ranks items by distinct persons in training, with the same exclusions and the same persons.

The metric formulas are those of :mod:`alliance_pipeline.recommendation.metrics` (MAP@k divides
by min(|relevant|, k)), written as Spark SQL higher-order functions; a test checks they agree.
"""

from __future__ import annotations

import datetime

from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.recommendation.factor_scoring import top_k_unseen
from alliance_pipeline.recommendation.interactions import confidence, window_bounds

METRICS = ("precision", "recall", "ndcg", "map")


def holdout_split(
    weighted: DataFrame, dt: str, lookback_days: int, holdout_days: int
) -> tuple[DataFrame, DataFrame]:
    """(training confidences, holdout pairs) from ``interactions.weighted_events`` output."""
    first, last = window_bounds(dt, lookback_days)
    cutoff = last - datetime.timedelta(days=holdout_days)
    train = confidence(weighted, first, cutoff)
    holdout = confidence(weighted, cutoff + datetime.timedelta(days=1), last)
    return train, holdout.select("person_key", "content_id")


def popularity(train: DataFrame) -> DataFrame:
    """(item, score): distinct persons per item in ``train`` (user, item)."""
    return train.groupBy("item").agg(F.countDistinct("user").cast("double").alias("score"))


def popular_top_k(train: DataFrame, users: DataFrame, k: int, pool: int) -> DataFrame:
    """``users`` (user, seen array<int>) -> (user, rec): the ``k + pool`` most popular items
    (ties by item), less what the user has seen, cut to ``k``."""
    top = (
        popularity(train)
        .orderBy(F.col("score").desc(), F.col("item"))
        .limit(k + pool)
        .agg(F.expr("transform(sort_array(collect_list(struct(-score, item))), s -> s.item)"))
        .toDF("top")
    )
    return users.crossJoin(F.broadcast(top)).select(
        "user", F.slice(F.array_except("top", "seen"), 1, k).alias("rec")
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


def evaluate(
    model: ALSModel,
    train: DataFrame,
    holdout: DataFrame,
    k: int,
    pool: int,
    catalog_size: int,
) -> list[dict]:
    """Metrics of ALS and of the popularity baseline: ``train`` (user, item, ...) is what
    ``model`` was fitted on, ``holdout`` (user, item) the later interactions."""
    seen = train.select("user", "item").distinct()
    relevant = (
        holdout.select("user", "item")
        .distinct()
        .join(seen, ["user", "item"], "left_anti")
        .groupBy("user")
        .agg(F.collect_set("item").alias("rel"))
        .join(seen.groupBy("user").agg(F.collect_list("item").alias("seen")), "user")
    ).cache()
    users = relevant.select("user", "seen")
    results = []
    for name, recs in (
        ("als", top_k_unseen(model, users, k, pool)),
        ("popularity", popular_top_k(train, users, k, pool)),
    ):
        results.append({"model": name, "k": k, **ranking_metrics(recs, relevant, k, catalog_size)})
    relevant.unpersist()
    return results
