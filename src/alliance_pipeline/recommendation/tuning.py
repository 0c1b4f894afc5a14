"""ALS hyper-parameters chosen on the data, every ``tuning.every_days`` nights.

A tuning night fits one model per point of the grid (``tuning.ranks`` x ``reg_params`` x
``alphas``) on the training days without their last ``tuning.validation_days`` and judges each
on those validation days: the unconstrained model's lists (:func:`.evaluate.model_lists`, after
the one exclusion rule) by NDCG@k, as the holdout judges the night's model. The holdout itself is
never seen. The best point wins (ties: the earlier grid point). The night's model is then fitted
with it, and so are the models of the nights after, until the next tuning night: each night
writes the values it used (``lake.paths.REC_TUNING``, with the night they were chosen on) and
the next night reads the latest partition before its own. Before the first tuning, and when the
validation days hold nobody to judge, the committed ``rank``, ``reg_param``, ``alpha`` apply.
"""

from __future__ import annotations

import datetime
import itertools

from pyspark.sql import DataFrame

from alliance_pipeline.config import RecommendationConfig
from alliance_pipeline.recommendation import evaluate, indexing, interactions, train
from alliance_pipeline.spark_session import als_blocks

HYPER = ("rank", "reg_param", "alpha")
TUNING_SCHEMA = (
    "rank int, reg_param double, alpha double, persons long, precision double, recall double,"
    " ndcg double, map double, coverage double, chosen boolean, tuned_on date"
)


def grid(params: RecommendationConfig) -> list[dict]:
    t = params.tuning
    return [
        {"rank": r, "reg_param": float(g), "alpha": float(a)}
        for r, g, a in itertools.product(t.ranks, t.reg_params, t.alphas)
    ]


def due(carried: dict | None, dt: str, every_days: int) -> bool:
    """Is ``dt`` a tuning night, given the choice the night before carried (None: none)?"""
    if every_days == 0:
        return False
    if carried is None or carried.get("tuned_on") is None:
        return True
    return (datetime.date.fromisoformat(dt) - carried["tuned_on"]).days >= every_days


def choose(points: list[dict]) -> dict | None:
    """The point of best validation NDCG (ties: the earliest); None if nobody was judged."""
    judged = [p for p in points if p["persons"] > 0]
    if not judged:
        return None
    return max(judged, key=lambda p: (p["ndcg"], -points.index(p)))


def search(
    weighted: DataFrame,
    orders: DataFrame,
    index: DataFrame,
    brands: DataFrame,
    catalog_size: int,
    dt: str,
    params: RecommendationConfig,
) -> list[dict]:
    """Every grid point with its validation metrics (``persons`` 0 when nobody was judged)."""
    first, _ = interactions.window_bounds(dt, params.lookback_days)
    end = evaluate.training_end(dt, params.holdout_days)
    cut = end - datetime.timedelta(days=params.tuning.validation_days)
    fit_on = interactions.confidence(weighted, first, cut)
    relevant = evaluate.relevant_items(
        fit_on, interactions.confidence(weighted, cut + datetime.timedelta(days=1), end)
    ).cache()
    points = grid(params)
    if relevant.isEmpty():
        relevant.unpersist()
        return [{**p, **evaluate.NO_SCORES} for p in points]
    ratings = indexing.indexed(fit_on, index).cache()
    blocks = als_blocks(ratings.count(), weighted.sparkSession.sparkContext.defaultParallelism)
    excluded = interactions.excluded(weighted, orders, first, cut).cache()
    who = relevant.select(relevant["user"].alias("person_key"))
    out = []
    for point in points:
        model = train.fit(ratings, params.override(**point), blocks)
        lists = evaluate.model_lists(model, index, who, brands, excluded, params.k)
        scores = evaluate.ranking_metrics(evaluate.ranked(lists), relevant, params.k, catalog_size)
        out.append({**point, **scores})
    for df in (relevant, ratings, excluded):
        df.unpersist()
    return out
