"""Integer ids for ALS, stable across runs.

The index table (curated/rec_index/run_date={dt}/: entity, key, idx) holds every person_key
(entity ``person``) and content_id (entity ``content``) ever indexed. A run starts from the
latest earlier run's table, keeps every id, and appends new keys above the entity's maximum,
numbered in key order, so a rerun of a date gives the same ids.

Numbering without a one-partition window: the new keys are range-sorted across partitions,
each partition counts its rows, and a key's position is the rows of the partitions before its
own plus its place in its own. Positions are the keys' ranks, whatever the partitioning.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
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


_ROW_BITS = 33  # monotonically_increasing_id: partition id above, row in partition below


def positions(keys: DataFrame) -> DataFrame:
    """(key, pos): 0-based rank of each distinct ``key`` in key order."""
    ordered = (
        keys.select("key")
        .distinct()
        .orderBy("key")
        .select("key", F.monotonically_increasing_id().alias("_id"))
        .localCheckpoint()  # the ids depend on the partitioning: count and number one copy
    )
    part = F.shiftright("_id", _ROW_BITS)
    sizes = ordered.groupBy(part.alias("_part")).agg(F.count("*").alias("_rows"))
    before = (
        sizes.alias("p")
        .join(sizes.alias("q"), F.col("q._part") < F.col("p._part"), "left")
        .groupBy(F.col("p._part").alias("_part"))
        .agg(F.coalesce(F.sum("q._rows"), F.lit(0)).alias("_before"))
    )
    row = F.col("_id").bitwiseAND(F.lit((1 << _ROW_BITS) - 1))
    return ordered.join(F.broadcast(before), part == F.col("_part")).select(
        "key", (F.col("_before") + row).alias("pos")
    )


def extend_index(previous: DataFrame, keys: DataFrame, entity: str) -> DataFrame:
    """``previous`` (entity, key, idx) for all entities, plus ``keys.key`` new to ``entity``."""
    mine = previous.where(F.col("entity") == entity)
    new = keys.select(F.col("key").cast("string")).join(mine, "key", "left_anti")
    base = mine.agg(F.coalesce(F.max("idx"), F.lit(-1)).alias("base"))
    numbered = (
        positions(new)
        .crossJoin(base)
        .select(
            F.lit(entity).alias("entity"),
            "key",
            (F.col("base") + 1 + F.col("pos")).cast("int").alias("idx"),
        )
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
