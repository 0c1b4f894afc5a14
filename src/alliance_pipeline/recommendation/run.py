"""The recommendation run as one pure composition: DataFrames in, DataFrames out.

``jobs/recommend.py`` reads the partitions, calls :func:`run`, and writes what it returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.config import RecommendationConfig
from alliance_pipeline.recommendation import evaluate, indexing, interactions, scoring, train


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
) -> RunOutput:
    weighted = interactions.weighted_events(events, orders, params.event_weights).cache()
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
    holdout_ix = _indexed(holdout.withColumn("confidence", F.lit(1.0)), index)
    catalog_size = catalog.select("content_id").distinct().count()
    if train_ix.isEmpty():  # no day before the holdout yet: nothing to evaluate on
        metrics = [unevaluated(name, params.k) for name in ("als", "popularity")]
    else:
        eval_model = train.fit(train_ix, params)
        metrics = evaluate.evaluate(
            eval_model, train_ix, holdout_ix, params.k, params.candidate_pool, catalog_size
        )
    settings = json.dumps(params.model_dump(), sort_keys=True)
    evaluation = [{**m, "params": settings} for m in metrics]

    full_ix = _indexed(full, index)
    model = None if full_ix.isEmpty() else train.fit(full_ix, params)
    recs = scoring.recommend(
        model,
        index,
        persons,
        segments,
        catalog,
        full,
        interactions.owned(orders),
        n=params.top_n,
        share=params.cross_brand_share,
        pool=params.candidate_pool,
        min_history=params.min_history,
    )
    return RunOutput(index=index, recommendations=recs, evaluation=evaluation)
