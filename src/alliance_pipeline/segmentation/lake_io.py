"""Where the segmentation jobs read and write, under a lake root that is a local folder or an
object-store URI (``s3a://bucket/lake``). The pure transforms never see these paths."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from alliance_pipeline.contracts import clean_columns
from alliance_pipeline.spark_session import overwrite_partitions, read_partitions

SPARK_TYPES = {
    "string": T.StringType(),
    "json": T.StringType(),
    "int": T.LongType(),
    "float": T.DoubleType(),
    "bool": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "money": T.DecimalType(18, 2),
    "rate": T.DecimalType(18, 6),
}


def join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


def clean_schema(dataset: str) -> T.StructType:
    return T.StructType(
        [T.StructField(c.name, SPARK_TYPES[c.dtype], True) for c in clean_columns(dataset)]
    )


def dates(start: dt.date, end: dt.date) -> list[str]:
    return [str(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)]


def read_clean(
    spark: SparkSession, lake_root: str, dataset: str, start: dt.date | None, end: dt.date
) -> DataFrame:
    """Every source's clean partitions of ``dataset`` with dt in [start, end] (every dt up to
    ``end`` when ``start`` is None), contract columns only (drifted extras dropped), ``dt`` and
    ``source`` recovered from the folder names; an empty frame when there is none."""
    days = "*" if start is None else "{" + ",".join(dates(start, end)) + "}"
    root = join(lake_root, "clean", dataset)
    schema = clean_schema(dataset)
    paths = existing(spark, join(root, f"dt={days}", "source=*"))
    if not paths:
        return spark.createDataFrame([], schema)
    df = read_partitions(spark, root, paths)
    df = df.select(*[df[f.name].cast(f.dataType).alias(f.name) for f in schema.fields])
    return df if start is not None else df.where(F.col("dt") <= F.lit(end))


def _fs(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    return target, target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def exists(spark: SparkSession, path: str) -> bool:
    target, fs = _fs(spark, path)
    return bool(fs.exists(target))


def delete(spark: SparkSession, path: str) -> None:
    """Remove a folder (recursively) or file; nothing when it does not exist."""
    target, fs = _fs(spark, path)
    fs.delete(target, True)


def existing(spark: SparkSession, pattern: str) -> list[str]:
    """Paths matching a Hadoop glob pattern (local or object store); [] when none."""
    target, fs = _fs(spark, pattern)
    return [str(s.getPath().toString()) for s in (fs.globStatus(target) or [])]


def read_run(
    spark: SparkSession, lake_root: str, zone_path: str, key: str, day: dt.date
) -> DataFrame:
    """One partition, e.g. curated/features/run_date=2026-11-23, with its key as a column."""
    root = join(lake_root, zone_path)
    return read_partitions(spark, root, [join(root, f"{key}={day}")])


def latest_run_before(
    spark: SparkSession, lake_root: str, zone_path: str, day: dt.date
) -> dt.date | None:
    """The latest run_date < ``day`` that has a partition under ``zone_path`` (None if none)."""
    base, fs = _fs(spark, join(lake_root, zone_path))
    if not fs.exists(base):
        return None
    found = []
    for status in fs.listStatus(base):
        name = status.getPath().getName()
        if status.isDirectory() and name.startswith("run_date="):
            found.append(dt.date.fromisoformat(name.removeprefix("run_date=")))
    earlier = [d for d in found if d < day]
    return max(earlier) if earlier else None


def write_run(df: DataFrame, lake_root: str, zone_path: str) -> str:
    """Write ``df`` (with a run_date column) partitioned by run_date with dynamic partition
    overwrite: a rerun replaces its own run_date whole, never appends, never touches other runs."""
    path = join(lake_root, zone_path)
    overwrite_partitions(df, path, "run_date")
    return path


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write (overwrite) one text file through Hadoop's file system: local or object store."""
    target, fs = _fs(spark, path)
    out = fs.create(target, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


FEATURES = "curated/features"
PERSON_SEGMENT = "curated/person_segment"
SEGMENT_CENTROIDS = "curated/segment_centroids"
SEGMENT_PROFILE = "curated/segment_profile"
PERSONS = "curated/persons"
REPORTS = "reports/segments"
