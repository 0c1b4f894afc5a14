"""Integer ids for ALS, stable across runs.

The index table (curated/rec_index/run_date={dt}/: entity, key, idx) holds every person_key
(entity ``person``) and content_id (entity ``content``) ever indexed. A run starts from the
latest earlier run's table (that one partition, found by its folder name), keeps every id, and appends new keys above the entity's maximum,
numbered in key order, so a rerun of a date gives the same ids.

Numbering without a one-partition window: keys fall into buckets by their first characters
(cutting keys short keeps their order, so bucket order is key order); a key's position is the
number of keys in earlier buckets plus its row number inside its own bucket. Every step is a
function of the keys alone, so the same keys get the same ids however Spark partitions them.
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


# person_keys are hex HMACs: 2 characters make 256 even buckets (and 256² bucket pairs to sum
# the earlier buckets over); content ids are few.
BUCKET_CHARS = 2


def positions(keys: DataFrame) -> DataFrame:
    """(key, pos): 0-based rank of each distinct ``key`` in key order."""
    bucketed = keys.select("key").distinct().withColumn("_b", F.substring("key", 1, BUCKET_CHARS))
    sizes = bucketed.groupBy("_b").agg(F.count("*").alias("_n"))
    before = (
        sizes.alias("p")
        .join(sizes.alias("q"), F.col("q._b") < F.col("p._b"), "left")
        .groupBy(F.col("p._b").alias("_b"))
        .agg(F.coalesce(F.sum("q._n"), F.lit(0)).alias("_before"))
    )
    in_bucket = F.row_number().over(Window.partitionBy("_b").orderBy("key"))
    return bucketed.join(F.broadcast(before), "_b").select(
        "key", (F.col("_before") + in_bucket - 1).alias("pos")
    )


def new_ids(previous: DataFrame, keys: DataFrame, entity: str) -> DataFrame:
    """(entity, key, idx) of each ``keys.key`` new to ``entity`` in ``previous`` (entity, key,
    idx), numbered above the entity's maximum."""
    mine = previous.where(F.col("entity") == entity)
    new = keys.select(F.col("key").cast("string")).join(mine, "key", "left_anti")
    base = mine.agg(F.coalesce(F.max("idx"), F.lit(-1)).alias("base"))
    return (
        positions(new)
        .crossJoin(base)
        .select(
            F.lit(entity).alias("entity"),
            "key",
            (F.col("base") + 1 + F.col("pos")).cast("int").alias("idx"),
        )
    )


def build_index(previous: DataFrame, persons: DataFrame, content: DataFrame) -> DataFrame:
    """``previous`` plus the new keys of both entities: ``persons`` and ``content`` each carry a
    ``key`` column. Each entity is numbered from ``previous`` alone, so neither plan holds the
    other's."""
    return (
        previous.select("entity", "key", F.col("idx").cast("int"))
        .unionByName(new_ids(previous, persons, "person"))
        .unionByName(new_ids(previous, content, "content"))
    )


def ids(index: DataFrame, entity: str, key_col: str, idx_col: str) -> DataFrame:
    """(key_col, idx_col) of one entity, for joins."""
    return index.where(F.col("entity") == entity).select(
        F.col("key").alias(key_col), F.col("idx").alias(idx_col)
    )


def indexed(conf: DataFrame, index: DataFrame) -> DataFrame:
    """(person_key, content_id, confidence) -> (user, item, confidence) for ALS."""
    return (
        conf.join(ids(index, "person", "person_key", "user"), "person_key")
        .join(ids(index, "content", "content_id", "item"), "content_id")
        .select("user", "item", "confidence")
    )
