"""Lake paths and listings for the de-identification Spark jobs, through Hadoop's FileSystem so
the same code works on a local folder and an object store (s3a://...)."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from alliance_pipeline.contracts import DATASETS
from alliance_pipeline.spark_session import overwrite_dir

MAP_DIR = "identity/person_map"
PERSONS_DIR = "curated/persons"
REKEY_DIR = "identity/rekey"


def _fs(spark: SparkSession, path: str):
    jpath = spark._jvm.org.apache.hadoop.fs.Path(path)
    return jpath.getFileSystem(spark._jsc.hadoopConfiguration()), jpath


def exists(spark: SparkSession, path: str) -> bool:
    fs, jpath = _fs(spark, path)
    return bool(fs.exists(jpath))


def partition_values(spark: SparkSession, path: str, column: str) -> list[str]:
    """Sorted values of the ``column=value`` folders directly under ``path``."""
    if not exists(spark, path):
        return []
    fs, jpath = _fs(spark, path)
    prefix = f"{column}="
    names = [s.getPath().getName() for s in fs.listStatus(jpath) if s.isDirectory()]
    return sorted(n[len(prefix) :] for n in names if n.startswith(prefix))


def read_validated(spark: SparkSession, root: str, ds: str) -> dict[str, DataFrame]:
    """Every dataset's validated partition of ``ds`` (all sources), with source and dt columns."""
    frames = {}
    for name in DATASETS:
        base = f"{root}/validated/{name}"
        if exists(spark, f"{base}/dt={ds}"):
            frames[name] = spark.read.option("basePath", base).parquet(f"{base}/dt={ds}")
    return frames


def previous_map(spark: SparkSession, root: str, ds: str) -> DataFrame | None:
    """The latest identity map snapshot before ``ds`` (None on the first night)."""
    earlier = [d for d in partition_values(spark, f"{root}/{MAP_DIR}", "dt") if d < ds]
    if not earlier:
        return None
    return spark.read.parquet(f"{root}/{MAP_DIR}/dt={earlier[-1]}")


def subdirs(spark: SparkSession, path: str) -> list[str]:
    if not exists(spark, path):
        return []
    fs, jpath = _fs(spark, path)
    return sorted(s.getPath().getName() for s in fs.listStatus(jpath) if s.isDirectory())


def write_clean_partition(df: DataFrame, root: str, name: str, ds: str) -> None:
    """Replace ``clean/{name}/dt={ds}/`` with exactly ``df``'s rows, one ``source=`` folder each.

    The whole ``dt`` folder is replaced (never part of it visible, see spark_session), so a
    source present in an earlier run of the night but not in this one does not linger. Files
    hold neither ``dt`` nor ``source``.
    """
    overwrite_dir(df.drop("dt"), f"{root}/clean/{name}/dt={ds}", ("source",))
