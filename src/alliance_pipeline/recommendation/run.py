"""The recommendation run as one pure composition: DataFrames in, DataFrames out.

``jobs/recommend.py`` reads the partitions, calls :func:`run`, and writes what it returns.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.config import RecommendationConfig
from alliance_pipeline.experiments.registry import Experiment
from alliance_pipeline.recommendation import (
    evaluate,
    indexing,
    interactions,
    scoring,
    train,
    variants,
)
from alliance_pipeline.spark_session import als_blocks, sized_shuffles


@dataclass
class RunOutput:
    index: DataFrame  # entity, key, idx
    recommendations: DataFrame  # scoring.OUTPUT_COLUMNS + cross_brand
    evaluation: list[dict]  # model, k, persons, precision, recall, ndcg, map, coverage, params


def _indexed(conf: DataFrame, index: DataFrame) -> DataFrame:
    return (
        conf.join(indexing.ids(index, "person", "person_key", "user"), "person_key")
        .join(indexing.ids(index, "content", "content_id", "item"), "content_id")
        .select("user", "item", "confidence")
    )


def unevaluated(model: str, k: int) -> dict:
    """The evaluation row of a run without training data: no person, every metric 0 (the
    publish gate keeps the last published set)."""
    return {"model": model, "k": k, "persons": 0, **dict.fromkeys(evaluate.METRICS, 0.0),
            "coverage": 0.0}  # fmt: skip


def run(
    events: DataFrame,
    orders: DataFrame,
    catalog: DataFrame,
    persons: DataFrame,
    segments: DataFrame,
    previous_index: DataFrame,
    dt: str,
    params: RecommendationConfig,
    experiment: Experiment | None = None,
) -> RunOutput:
    """One ALS fit, on the window without its last ``holdout_days``: that model is evaluated on
    the held-out days against popularity and is the model whose lists are published, so the
    gate judges exactly what it lets through. The held-out days still count for the index, for
    cold-start popularity and for what a person owns; a person the model has not seen enough of
    gets the segment's popular items. The persons of a changing variant of ``experiment`` get
    that variant's lists (:mod:`.variants`)."""
    spark = events.sparkSession
    weighted = interactions.weighted_events(events, orders, params.event_weights).cache()
    with sized_shuffles(spark, weighted.count()):
        first, last = interactions.window_bounds(dt, params.lookback_days)
        full = interactions.confidence(weighted, first, last).cache()
        index = indexing.build_index(
            previous_index,
            full.select(F.col("person_key").alias("key")),
            full.select(F.col("content_id").alias("key")).unionByName(
                catalog.select(F.col("content_id").alias("key"))
            ),
        ).localCheckpoint()

        train_conf, holdout = evaluate.holdout_split(
            weighted, dt, params.lookback_days, params.holdout_days
        )
        train_ix = _indexed(train_conf, index).cache()
        ratings = train_ix.count()
        holdout_ix = _indexed(holdout.withColumn("confidence", F.lit(1.0)), index)
        catalog_size = catalog.select("content_id").distinct().count()
        if ratings == 0:  # no day before the holdout yet: no model, nothing to evaluate on
            model = None
            metrics = [unevaluated(name, params.k) for name in ("als", "popularity")]
        else:
            blocks = als_blocks(ratings, spark.sparkContext.defaultParallelism)
            model = train.fit(train_ix, params, blocks)
            metrics = evaluate.evaluate(
                model, train_ix, holdout_ix, params.k, params.candidate_pool, catalog_size
            )
        settings = json.dumps(params.model_dump(), sort_keys=True)
        evaluation = [{**m, "params": settings} for m in metrics]

        owned = interactions.owned(orders)

        def lists(who: DataFrame, changes: dict) -> DataFrame:
            """The lists of ``who``, with an experiment variant's ``changes`` (variants.py);
            strategy popularity treats everyone as cold-start (their segment's popular items)."""
            popular = changes.get("strategy") == "popularity"
            return scoring.recommend(
                None if popular else model,
                index,
                who,
                segments,
                catalog,
                full,
                train_conf,
                owned,
                n=params.top_n,
                share=changes.get("cross_brand_share", params.cross_brand_share),
                pool=changes.get("candidate_pool", params.candidate_pool),
                min_history=sys.maxsize if popular else params.min_history,
            )

        recs = variants.with_variants(
            lists(persons, {}), persons, experiment, lists
        ).localCheckpoint()  # computed while the inputs are cached
    for df in (weighted, full, train_ix):
        df.unpersist()
    return RunOutput(index=index, recommendations=recs, evaluation=evaluation)
