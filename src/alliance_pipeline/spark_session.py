"""The one Spark configuration and SparkSession recipe of every job (and of the test kit), local
or on a cluster. How jobs read and write the lake: :mod:`alliance_pipeline.lake.spark_io`.

Light to import (pyspark only inside functions): the DAG files pass :data:`SUBMIT_CONF` to
spark-submit.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from contextlib import contextmanager
from types import MappingProxyType

# The HMAC key of privacy.deid enters Spark plans as literals: shown plans hide what matches.
PLAN_REDACTION_REGEX = "0x[0-9A-Fa-f]{32,}"

# What every Spark job runs with: the nightly DAG's and the de-identification spark-submits, the
# jobs' sessions and the tests' session. Timestamps are written as Parquet INT64 micros adjusted
# to UTC (not Spark's default INT96), so pyarrow and DuckDB read them back as
# timestamp[us, tz=UTC]. A night reads one folder per day of its look-back window and source:
# Spark lists more than 32 paths with a distributed job (a task per folder), which costs more
# than it saves on a small master, so the driver lists up to 1024 itself. The recommender scores
# persons in Arrow batches against every item (recommendation.factor_scoring): 2,048 persons by
# a 3,000-item catalog is a 24 MB block per Python worker.
SPARK_CONF = MappingProxyType(
    {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.redaction.string.regex": PLAN_REDACTION_REGEX,
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "1024",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "2048",
    }
)


# What spark-submit adds (the DAG's and de-identification's submits): the driver's heap, set
# before its JVM starts. In local mode the driver is the executor too, and Spark's 1 GB default
# runs out on the recommender's scoring at a tenth of the reference scale; 6 GB keeps the process
# under the 8 GB a night's task may take. On a cluster, executors take theirs from the cluster.
SUBMIT_CONF = MappingProxyType({**SPARK_CONF, "spark.driver.memory": "6g"})


def job_session(app_name: str):
    from pyspark.sql import SparkSession

    return SparkSession.builder.appName(app_name).config(map=dict(SPARK_CONF)).getOrCreate()


# Sizing from the data, in one place. A shuffle partition of ~1M interaction rows is ~100 MB
# (a 64-character key, an id, a day, a weight); adaptive execution coalesces smaller ones. An
# ALS block of 200k ratings is a fraction of a second of one task's solves: a small night runs
# one block per side (each more block adds shuffled factors, not speed), a big one a block per
# core, as Spark's own fixed default of 10 assumes.
SHUFFLE_ROWS_PER_PARTITION = 1_000_000
ALS_RATINGS_PER_BLOCK = 200_000


def shuffle_partitions(rows: int, parallelism: int) -> int:
    """At least one per core, one per ``SHUFFLE_ROWS_PER_PARTITION`` rows beyond that."""
    return max(1, parallelism, math.ceil(rows / SHUFFLE_ROWS_PER_PARTITION))


def als_blocks(ratings: int, parallelism: int) -> int:
    """User (and item) blocks: one per ``ALS_RATINGS_PER_BLOCK`` ratings, 1 to ``parallelism``."""
    return max(1, min(parallelism, math.ceil(ratings / ALS_RATINGS_PER_BLOCK)))


@contextmanager
def sized_shuffles(spark, rows: int) -> Generator[int]:
    """``spark.sql.shuffle.partitions`` sized for ``rows`` inside the block, restored after."""
    before = spark.conf.get("spark.sql.shuffle.partitions")
    n = shuffle_partitions(rows, spark.sparkContext.defaultParallelism)
    spark.conf.set("spark.sql.shuffle.partitions", str(n))
    try:
        yield n
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)
