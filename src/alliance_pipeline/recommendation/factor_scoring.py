"""ALS lists scored straight from the model's factors, a batch of persons at a time.

Each Spark task takes its persons in Arrow batches (``mapInPandas``), scores a batch against
every item in one matrix product and keeps the lists with :func:`.topn.top_n`. No row per
(person, candidate) is ever shuffled or sorted: the shuffle before is one row per person, the
output is the lists. The item side (factors, content ids, brands) is the model's, at most a
catalog's size, and travels with the tasks.

Same candidates as MLlib's ``recommendForUserSubset(users, pool)`` followed by exclusions: the
model's ``pool`` best items of a person, then what the rules remove.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.recommendation.indexing import ids
from alliance_pipeline.recommendation.topn import EXCLUDED, exclude, keep_best, top_n

LIST_SCHEMA = (
    "person_key string, rank int, content_id string, score double, item_source string,"
    " cross_brand boolean"
)
REC_SCHEMA = "user int, rec array<int>"


def _matrix(features: pd.Series) -> np.ndarray:
    return np.vstack(features.to_numpy()).astype(np.float32)


def _pairs(lists: pd.Series, columns: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of every value of each row's list found in ``columns``."""
    values = [v if v is not None else () for v in lists.to_numpy()]
    rows = np.repeat(np.arange(len(values)), [len(v) for v in values])
    cols = columns.get_indexer(np.concatenate(values)) if len(rows) else rows
    found = cols >= 0
    return rows[found], cols[found]


def _items(model: ALSModel, index: DataFrame, brands: DataFrame) -> pd.DataFrame:
    """The model's items in content_id order: item, content_id, features, item_source and
    brands (null when the item is not in tonight's catalog)."""
    return (
        model.itemFactors.select(F.col("id").alias("item"), "features")
        .join(ids(index, "content", "content_id", "item"), "item")
        .join(brands, "content_id", "left")
        .orderBy("content_id")
        .toPandas()
    )


def als_lists(
    model: ALSModel,
    index: DataFrame,
    people: DataFrame,
    brands: DataFrame,
    owned: DataFrame,
    *,
    n: int,
    quota: int,
    pool: int,
) -> DataFrame:
    """``people`` (person_key, home_source, marketing_consent) -> their lists (LIST_SCHEMA):
    of the model's ``pool`` best items, those in the catalog (``brands``: content_id,
    item_source, brands) and not ``owned`` (person_key, content_id); cross-brand items (the
    person's home source is none of the item's brands) only with consent, the ``quota`` best
    of them reserved; ranked by score, then content_id."""
    items = _items(model, index, brands)
    factors = _matrix(items["features"]) if len(items) else np.zeros((0, 1), np.float32)
    content = pd.Index(items["content_id"])
    item_source = items["item_source"].to_numpy(object)
    in_catalog = items["item_source"].notna().to_numpy()
    item_brands = [set(b) if b is not None else set() for b in items["brands"]]

    def cross_of(homes: np.ndarray) -> np.ndarray:
        codes, sources = pd.factorize(homes)  # no home source (-1): nothing is cross-brand
        table = np.array(
            [[s not in b for b in item_brands] for s in sources] + [[False] * len(item_brands)],
            dtype=bool,
        ).reshape(len(sources) + 1, len(item_brands))
        return table[codes]

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for b in batches:
            scores = keep_best(_matrix(b["features"]) @ factors.T, pool)
            scores[:, ~in_catalog] = EXCLUDED
            exclude(scores, *_pairs(b["owned"], content))
            cross = cross_of(b["home_source"].to_numpy(object))
            consent = b["marketing_consent"].fillna(False).to_numpy(bool)[:, None]
            scores[cross & ~consent] = EXCLUDED
            got = top_n(scores, n, cross & consent, quota)
            yield pd.DataFrame(
                {
                    "person_key": b["person_key"].to_numpy(object)[got.rows],
                    "rank": got.ranks.astype(np.int32),
                    "content_id": content.to_numpy(object)[got.cols],
                    "score": got.scores.astype(np.float64),
                    "item_source": item_source[got.cols],
                    "cross_brand": cross[got.rows, got.cols],
                }
            )

    mine = owned.groupBy("person_key").agg(F.collect_list("content_id").alias("owned"))
    return (
        people.select("person_key", "home_source", "marketing_consent")
        .join(ids(index, "person", "person_key", "user"), "person_key")
        .join(model.userFactors.select(F.col("id").alias("user"), "features"), "user")
        .join(mine, "person_key", "left")
        .select("person_key", "features", "home_source", "marketing_consent", "owned")
        .mapInPandas(score, LIST_SCHEMA)
    )


def top_k_unseen(model: ALSModel, users: DataFrame, k: int, pool: int) -> DataFrame:
    """``users`` (user, seen array<int>) -> (user, rec array<int>): of the model's ``k + pool``
    best items, the ``k`` best the user has not seen, by score, then item."""
    items = model.itemFactors.orderBy("id").toPandas()
    factors = _matrix(items["features"]) if len(items) else np.zeros((0, 1), np.float32)
    item_ids = pd.Index(items["id"])

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for b in batches:
            scores = keep_best(_matrix(b["features"]) @ factors.T, k + pool)
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
