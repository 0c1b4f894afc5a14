"""Top-N lists scored a batch of persons at a time, never a row per (person, candidate).

Each Spark task takes its persons in Arrow batches (``mapInPandas``), scores a batch against
every item at once (ALS: one matrix product with the item factors; cold start: the rows of the
segments' popularity table) and keeps the lists with :func:`.topn.top_n`. The shuffle before is
one row per person, the output is the lists. The item side (factors or popularity, content ids,
brands) is at most a catalog's size and travels with the tasks.

The rules of :mod:`.scoring` hold for every list: candidates are every item of tonight's catalog
the person is not excluded from (:func:`.interactions.excluded`), never a fixed pool cut before
the exclusions, so a list holds ``n`` items whenever ``n`` candidates exist; cross-brand items
only with consent, the quota's best of them (among the person's ``pool`` best candidates)
reserved. A person without a home source (the evaluation's unconstrained lists) has no
cross-brand item and no quota: the list is the ``n`` best candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.recommendation.indexing import ids
from alliance_pipeline.recommendation.topn import EXCLUDED, best, exclude, top_n

LIST_SCHEMA = (
    "person_key string, rank int, content_id string, score double, item_source string,"
    " cross_brand boolean"
)
REC_SCHEMA = "user int, rec array<int>"
ALL_PERSONS = "__all__"  # the segment of everyone (for persons without a segment)


def _matrix(vectors: pd.Series, width: int) -> np.ndarray:
    if not len(vectors):
        return np.zeros((0, width), np.float32)
    return np.vstack(vectors.to_numpy()).astype(np.float32)


def _pairs(lists: pd.Series, columns: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of every value of each row's list found in ``columns``."""
    values = [v if v is not None else () for v in lists.to_numpy()]
    rows = np.repeat(np.arange(len(values)), [len(v) for v in values])
    cols = columns.get_indexer(np.concatenate(values)) if len(rows) else rows
    found = cols >= 0
    return rows[found], cols[found]


def _lists(
    people: DataFrame,
    excluded: DataFrame,
    items: pd.DataFrame,
    scores_of: Callable[[pd.DataFrame], np.ndarray],
    n: int,
    quota: int,
    pool: int,
) -> DataFrame:
    """``people`` (person_key, home_source, marketing_consent, what ``scores_of`` reads) ->
    lists over ``items`` (content_id order: content_id, item_source, brands; no brands: not in
    the catalog), ``scores_of(batch)`` giving a batch's scores, one column per item;
    ``excluded`` (person_key, content_id) what nobody gets."""
    content = items["content_id"].to_numpy(object)
    columns = pd.Index(content)
    item_source = items["item_source"].to_numpy(object)
    in_catalog = items["item_source"].notna().to_numpy()
    item_brands = [set(b) if b is not None else set() for b in items["brands"]]

    def cross_of(homes: np.ndarray) -> np.ndarray:
        codes, sources = pd.factorize(homes)  # no home source (-1): nothing is cross-brand
        table = np.zeros((len(sources) + 1, len(item_brands)), dtype=bool)
        for i, source in enumerate(sources):
            table[i] = [source not in b for b in item_brands]
        return table[codes]

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for b in batches:
            scores = scores_of(b)
            scores[:, ~in_catalog] = EXCLUDED
            exclude(scores, *_pairs(b["excluded"], columns))
            cross = cross_of(b["home_source"].to_numpy(object))
            consent = b["marketing_consent"].fillna(False).to_numpy(bool)[:, None]
            scores[cross & ~consent] = EXCLUDED
            got = top_n(scores, n, cross & best(scores, pool), quota)
            yield pd.DataFrame(
                {
                    "person_key": b["person_key"].to_numpy(object)[got.rows],
                    "rank": got.ranks.astype(np.int32),
                    "content_id": content[got.cols],
                    "score": got.scores.astype(np.float64),
                    "item_source": item_source[got.cols],
                    "cross_brand": cross[got.rows, got.cols],
                }
            )

    mine = excluded.groupBy("person_key").agg(F.collect_list("content_id").alias("excluded"))
    return people.join(mine, "person_key", "left").mapInPandas(score, LIST_SCHEMA)


def als_lists(
    model: ALSModel,
    index: DataFrame,
    people: DataFrame,
    brands: DataFrame,
    excluded: DataFrame,
    *,
    n: int,
    quota: int,
    pool: int,
) -> DataFrame:
    """``people`` (person_key, home_source, marketing_consent) -> their ALS lists
    (LIST_SCHEMA); ``brands`` (content_id, item_source, brands) is tonight's catalog,
    ``excluded`` (person_key, content_id) what nobody gets."""
    items = (
        model.itemFactors.select(F.col("id").alias("item"), "features")
        .join(ids(index, "content", "content_id", "item"), "item")
        .join(brands, "content_id", "left")
        .orderBy("content_id")
        .toPandas()
    )
    rank = model.rank  # the tasks get plain values, never the model
    factors = _matrix(items["features"], rank)

    def scores_of(batch: pd.DataFrame) -> np.ndarray:
        return _matrix(batch["features"], rank) @ factors.T

    persons = (
        people.select("person_key", "home_source", "marketing_consent")
        .join(ids(index, "person", "person_key", "user"), "person_key")
        .join(model.userFactors.select(F.col("id").alias("user"), "features"), "user")
        .drop("user")
    )
    return _lists(persons, excluded, items, scores_of, n, quota, pool)


def popular_lists(
    people: DataFrame,
    popular: DataFrame,
    brands: DataFrame,
    excluded: DataFrame,
    *,
    n: int,
    quota: int,
    pool: int,
) -> DataFrame:
    """``people`` (person_key, home_source, marketing_consent, segment) -> lists from
    ``popular`` (segment, content_id, score). A segment without a row of its own ranks by
    ``ALL_PERSONS``; an item without a row scores 0 (after every item with one)."""
    table = popular.toPandas()
    items = brands.orderBy("content_id").toPandas()
    segments = pd.Index(table["segment"].unique())
    scores = np.zeros((len(segments) + 1, len(items)))  # last row: nothing popular at all
    cols = pd.Index(items["content_id"]).get_indexer(table["content_id"])
    found = cols >= 0
    scores[segments.get_indexer(table["segment"])[found], cols[found]] = table["score"][found]
    everyone = segments.get_loc(ALL_PERSONS) if ALL_PERSONS in segments else len(segments)

    def scores_of(batch: pd.DataFrame) -> np.ndarray:
        rows = segments.get_indexer(batch["segment"])
        return scores[np.where(rows < 0, everyone, rows)]  # fancy indexing: a copy

    return _lists(people, excluded, items, scores_of, n, quota, pool)


def top_k_unseen(model: ALSModel, users: DataFrame, k: int) -> DataFrame:
    """``users`` (user, seen array<int>) -> (user, rec array<int>): the ``k`` best items the
    user has not seen, by score, then item (the benchmark's library-to-library comparison)."""
    items = model.itemFactors.orderBy("id").toPandas()
    rank = model.rank  # the tasks get plain values, never the model
    factors = _matrix(items["features"], rank)
    item_ids = pd.Index(items["id"])

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for b in batches:
            scores = _matrix(b["features"], rank) @ factors.T
            exclude(scores, *_pairs(b["seen"], item_ids))
            got = top_n(scores, k)
            starts = np.flatnonzero(got.ranks == 1)
            if not len(starts):
                continue
            recs = np.split(item_ids.to_numpy()[got.cols].astype(np.int32), starts[1:])
            yield pd.DataFrame({"user": b["user"].to_numpy()[got.rows[starts]], "rec": recs})

    return (
        users.select("user", "seen")
        .join(model.userFactors.select(F.col("id").alias("user"), "features"), "user")
        .mapInPandas(score, REC_SCHEMA)
    )
