"""The recommendation run as one pure composition: DataFrames in, DataFrames out.

``jobs/recommend.py`` reads the partitions, calls :func:`run`, and writes what it returns.
"""

from __future__ import annotations

import datetime
import json
import sys
from dataclasses import dataclass

from pyspark.ml.recommendation import ALSModel
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
    tuning,
    variants,
)
from alliance_pipeline.spark_session import als_blocks, sized_shuffles

TUNING_ROW = "als_tuning"  # mart.model_evaluation's row of a tuning night's chosen point


@dataclass
class RunOutput:
    index: DataFrame  # entity, key, idx
    recommendations: DataFrame  # scoring.OUTPUT_COLUMNS + cross_brand
    evaluation: list[dict]  # model, k, persons, precision, recall, ndcg, map, coverage, params
    tuning: list[dict]  # tuning.TUNING_SCHEMA: the grid of a tuning night, the values used


@dataclass(frozen=True)
class Scene:
    """What lists are made from, as of one day: the model, the window's popular items per
    segment (:func:`.scoring.segment_popular`, for cold starts; cached, as every variant's lists
    read them), what the model was fitted on (for ``min_history``) and the exclusions
    (:func:`.interactions.excluded`) as of that day."""

    model: ALSModel | None
    index: DataFrame
    segments: DataFrame
    catalog: DataFrame
    popular: DataFrame
    trained: DataFrame
    excluded: DataFrame


def published_lists(
    scene: Scene, people: DataFrame, params: RecommendationConfig, experiment: Experiment | None
) -> DataFrame:
    """The lists the night publishes for ``people``: :func:`.scoring.recommend`, and for the
    persons of a changing variant of ``experiment`` that variant's lists (:mod:`.variants`).
    The evaluation's ``als_shipped`` lists are this same function as of the holdout's eve."""

    def lists(who: DataFrame, changes: dict) -> DataFrame:
        """Strategy popularity treats everyone as cold-start (their segment's popular items)."""
        popular = changes.get("strategy") == "popularity"
        return scoring.recommend(
            None if popular else scene.model,
            scene.index,
            who,
            scene.segments,
            scene.catalog,
            scene.popular,
            scene.trained,
            scene.excluded,
            n=params.top_n,
            share=changes.get("cross_brand_share", params.cross_brand_share),
            pool=changes.get("candidate_pool", params.candidate_pool),
            min_history=sys.maxsize if popular else params.min_history,
        )

    return variants.with_variants(lists(people, {}), people, experiment, lists)


def unevaluated(model: str, k: int) -> dict:
    """The evaluation row of a run without training data: no person, every metric 0 (the
    publish gate keeps the last published set)."""
    return {"model": model, "k": k, **evaluate.NO_SCORES}


def _tuned(
    points: list[dict], carried: dict | None, dt: str, params: RecommendationConfig
) -> tuple[dict, list[dict]]:
    """(the values the night uses, the rows it writes to ``lake.paths.REC_TUNING``): a tuning
    night's grid with its best point chosen; otherwise the carried choice (the committed values
    while there is none)."""
    best = tuning.choose(points)
    night = datetime.date.fromisoformat(dt)
    rows = [{**p, "chosen": p is best, "tuned_on": night} for p in points]
    if best is None:
        kept = carried or {h: getattr(params, h) for h in tuning.HYPER}
        best = {**evaluate.NO_SCORES, "tuned_on": None, **kept, "chosen": True}
        rows.append(best)
    else:
        best = {**best, "tuned_on": night}
    return {h: best[h] for h in (*tuning.HYPER, "tuned_on")}, rows


def _tuning_row(points: list[dict], params: RecommendationConfig) -> dict:
    """mart.model_evaluation's row of a tuning night: the chosen point's validation scores;
    params: the choice, the validation days and every point's NDCG."""
    best = tuning.choose(points)
    settings = {
        "chosen": {h: best[h] for h in tuning.HYPER} if best else None,
        "validation_days": params.tuning.validation_days,
        "grid": [{h: p[h] for h in (*tuning.HYPER, "persons", "ndcg")} for p in points],
    }
    scores = {m: (best or evaluate.NO_SCORES)[m] for m in evaluate.NO_SCORES}
    return {"model": TUNING_ROW, "k": params.k, **scores, "params": json.dumps(settings)}


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
    carried: dict | None = None,
) -> RunOutput:
    """One ALS fit, on the window without its last ``holdout_days``: that model's lists, made
    exactly as the night publishes them but as of the day before the holdout, are judged on the
    held-out days beside the unconstrained model and popularity, and are the model whose lists
    are published, so the gate judges what it lets through. The held-out days still count for
    the index, for cold-start popularity and for the exclusions of the published lists. A person
    the model has not seen enough of gets the segment's popular items. ``carried``: the
    hyper-parameters the night before used (:mod:`.tuning`; None on the first night); on a
    tuning night they are chosen again."""
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
        brands = scoring.item_brands(catalog).cache()
        catalog_size = brands.count()

        points = []
        if tuning.due(carried, dt, params.tuning.every_days):
            points = tuning.search(weighted, orders, index, brands, catalog_size, dt, params)
        choice, tuning_rows = _tuned(points, carried, dt, params)
        used = params.override(**{h: choice[h] for h in tuning.HYPER})

        train_conf, holdout = evaluate.holdout_split(
            weighted, dt, params.lookback_days, params.holdout_days
        )
        train_conf = train_conf.cache()  # the fit, lists' history, popularity, relevance
        train_ix = indexing.indexed(train_conf, index).cache()
        ratings = train_ix.count()
        models = (evaluate.SHIPPED, evaluate.MODEL, evaluate.POPULARITY)
        if ratings == 0:  # no day before the holdout yet: no model, nothing to evaluate on
            model = None
            metrics = [unevaluated(name, params.k) for name in models]
        else:
            blocks = als_blocks(ratings, spark.sparkContext.defaultParallelism)
            model = train.fit(train_ix, used, blocks)
            end = evaluate.training_end(dt, params.holdout_days)
            excluded = interactions.excluded(weighted, orders, first, end).cache()
            popular_then = scoring.segment_popular(segments, train_conf).cache()
            then = Scene(model, index, segments, catalog, popular_then, train_conf, excluded)
            relevant = evaluate.relevant_items(train_conf, holdout).cache()
            who = relevant.select(F.col("user").alias("person_key"))
            judged = {
                evaluate.SHIPPED: published_lists(
                    then, persons.join(who, "person_key"), used, experiment
                ),
                evaluate.MODEL: evaluate.model_lists(model, index, who, brands, excluded, params.k),
                evaluate.POPULARITY: evaluate.popularity_lists(
                    train_conf, who, brands, excluded, params.k
                ),
            }
            metrics = evaluate.evaluate(judged, relevant, params.k, catalog_size)
            for df in (excluded, relevant, popular_then):
                df.unpersist()
        settings = json.dumps(
            {**used.model_dump(), "tuned_on": choice["tuned_on"] and str(choice["tuned_on"])},
            sort_keys=True,
        )
        evaluation = [{**m, "params": settings} for m in metrics]
        if points:
            evaluation.append(_tuning_row(points, params))

        now = interactions.excluded(weighted, orders, first, last).cache()  # warm and cold lists
        popular = scoring.segment_popular(segments, full).cache()
        tonight = Scene(model, index, segments, catalog, popular, train_conf, now)
        recs = published_lists(tonight, persons, used, experiment).localCheckpoint()
        for df in (popular, now):
            df.unpersist()
    for df in (weighted, full, train_conf, train_ix, brands):
        df.unpersist()
    return RunOutput(index=index, recommendations=recs, evaluation=evaluation, tuning=tuning_rows)
