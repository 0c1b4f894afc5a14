"""The one Spark configuration and SparkSession recipe of every job (and of the test kit), local
or on a cluster, and how every job reads and writes lake partitions.

Light to import (pyspark only inside functions): the DAG files pass :data:`SPARK_CONF` to
spark-submit.
"""

from __future__ import annotations

from types import MappingProxyType

# The HMAC key of privacy.deid enters Spark plans as literals: shown plans hide what matches.
PLAN_REDACTION_REGEX = "0x[0-9A-Fa-f]{32,}"

# What every Spark job runs with: the nightly DAG's and the de-identification spark-submits, the
# jobs' sessions and the tests' session. Timestamps are written as Parquet INT64 micros adjusted
# to UTC (not Spark's default INT96), so pyarrow and DuckDB read them back as
# timestamp[us, tz=UTC]. A night reads one folder per day of its look-back window and source:
# Spark lists more than 32 paths with a distributed job (a task per folder), which costs more
# than it saves on a small master, so the driver lists up to 1024 itself.
SPARK_CONF = MappingProxyType(
    {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.redaction.string.regex": PLAN_REDACTION_REGEX,
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "1024",
    }
)


def job_session(app_name: str):
    from pyspark.sql import SparkSession

    return SparkSession.builder.appName(app_name).config(map=dict(SPARK_CONF)).getOrCreate()


def read_partitions(spark, dataset_root: str, paths: list[str]):
    """Read partition folders of one hive-partitioned dataset, keeping the partition columns
    (``dt``, ``source``, ``run_date``) that live in the folder names, not in the files."""
    return spark.read.option("basePath", dataset_root).parquet(*paths)


# Writing the lake. A folder is replaced by renames, each atomic on a local or HDFS file system,
# so that a job killed at any point (SIGKILL, a lost node) never leaves part of a partition where
# readers look: they see the old folder, the new one, or, between two renames, none. Staging and
# set-aside folders start with "." so that Spark, pyarrow and Hadoop listings skip them (Spark
# does not skip "_" names holding "=": it takes them for partition folders). An object store has
# no atomic rename (s3a copies file by file): there these are as good as a delete and copy.


def _fs(spark, path: str):
    jpath = spark._jvm.org.apache.hadoop.fs.Path(path)
    return jpath.getFileSystem(spark._jsc.hadoopConfiguration()), jpath


def _hidden(path: str, tag: str) -> str:
    parent, _, name = path.rstrip("/").rpartition("/")
    return f"{parent}/.{tag}-{name}"


def _move_aside(spark, target: str):
    """Rename ``target`` to a hidden sibling; returns (file system, that sibling, existed)."""
    fs, jtarget = _fs(spark, target)
    _, jaside = _fs(spark, _hidden(target, "replaced"))
    fs.delete(jaside, True)  # what a killed replace left
    existed = bool(fs.exists(jtarget))
    if existed and not fs.rename(jtarget, jaside):
        raise OSError(f"could not move {target} aside")
    return fs, jaside, existed


def remove_dir(spark, target: str) -> bool:
    """Delete the folder ``target``, gone for readers at once; True when it was there."""
    fs, jaside, existed = _move_aside(spark, target)
    fs.delete(jaside, True)
    return existed


def replace_dir(spark, source: str, target: str) -> None:
    """Move the finished folder ``source`` onto ``target``, replacing what was there."""
    fs, jaside, _ = _move_aside(spark, target)
    if not fs.rename(_fs(spark, source)[1], _fs(spark, target)[1]):
        raise OSError(f"could not move {source} to {target}")
    fs.delete(jaside, True)


def overwrite_dir(df, target: str, partition_by: tuple[str, ...] = ()) -> None:
    """``df`` as Parquet in the folder ``target`` (in ``partition_by`` folders), replacing it
    whole: written to a hidden sibling, then moved in by :func:`replace_dir`."""
    spark = df.sparkSession
    staging = _hidden(target, "staging")
    fs, jstaging = _fs(spark, staging)
    fs.delete(jstaging, True)
    df.write.mode("overwrite").partitionBy(*partition_by).parquet(staging)
    replace_dir(spark, staging, target)


def overwrite_partitions(df, path: str, column: str) -> None:
    """Dynamic partition overwrite of ``path`` by ``column``: each ``column=value`` folder that
    ``df`` has rows for is replaced whole (see :func:`overwrite_dir`), the others are left.
    One writer of a dataset at a time (the staging folder is the dataset's)."""
    spark = df.sparkSession
    path = path.rstrip("/")
    staging = f"{path}/.staging"
    fs, jstaging = _fs(spark, staging)
    fs.delete(jstaging, True)
    df.write.mode("overwrite").partitionBy(column).parquet(staging)
    for status in fs.listStatus(jstaging):
        name = status.getPath().getName()
        if status.isDirectory() and name.startswith(f"{column}="):
            replace_dir(spark, f"{staging}/{name}", f"{path}/{name}")
    fs.delete(jstaging, True)
