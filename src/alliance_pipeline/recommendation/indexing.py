"""Integer ids for ALS, stable across runs.

The index table (curated/rec_index/run_date={dt}/: entity, key, idx) holds every person_key
(entity ``person``) and content_id (entity ``content``) ever indexed. A run starts from the
latest earlier run's table, keeps every id, and appends new keys above the entity's maximum,
numbered in key order, so a rerun of a date gives the same ids.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

INDEX_SCHEMA = T.StructType(
    [
        T.StructField("entity", T.StringType(), False),
        T.StructField("key", T.StringType(), False),
        T.StructField("idx", T.IntegerType(), False),
    ]
)


def latest_before(index_runs: DataFrame, dt: str) -> DataFrame:
    """The index table of the latest run strictly before ``dt`` (input has a ``run_date``)."""
    earlier = index_runs.where(F.col("run_date") < F.lit(dt).cast("date"))
    last = earlier.agg(F.max("run_date").alias("run_date"))
    return earlier.join(last, "run_date").select("entity", "key", "idx")


def extend_index(previous: DataFrame, keys: DataFrame, entity: str) -> DataFrame:
    """``previous`` (entity, key, idx) for all entities, plus ``keys.key`` new to ``entity``."""
    mine = previous.where(F.col("entity") == entity)
    new = keys.select(F.col("key").cast("string")).distinct().join(mine, "key", "left_anti")
    base = mine.agg(F.coalesce(F.max("idx"), F.lit(-1)).alias("base"))
    numbered = new.crossJoin(base).select(
        F.lit(entity).alias("entity"),
        "key",
        (F.col("base") + F.row_number().over(Window.orderBy("key"))).cast("int").alias("idx"),
    )
    return previous.select("entity", "key", F.col("idx").cast("int")).unionByName(numbered)


def build_index(previous: DataFrame, persons: DataFrame, content: DataFrame) -> DataFrame:
    """Extend both entities: ``persons`` and ``content`` each carry a ``key`` column."""
    return extend_index(extend_index(previous, persons, "person"), content, "content")


def ids(index: DataFrame, entity: str, key_col: str, idx_col: str) -> DataFrame:
    """(key_col, idx_col) of one entity, for joins."""
    return index.where(F.col("entity") == entity).select(
        F.col("key").alias(key_col), F.col("idx").alias(idx_col)
    )
