"""Reading and writing the lake from Spark, through Hadoop's FileSystem so the same code works
on a local folder and an object store (``s3a://...``). Paths come from :mod:`alliance_pipeline.lake`.
"""

from __future__ import annotations

import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import from_arrow_schema

from alliance_pipeline.contracts import DATASETS
from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import clean_schema as clean_arrow_schema


def _fs(spark: SparkSession, path: str):
    jpath = spark._jvm.org.apache.hadoop.fs.Path(path)
    return jpath.getFileSystem(spark._jsc.hadoopConfiguration()), jpath


def exists(spark: SparkSession, path: str) -> bool:
    fs, jpath = _fs(spark, path)
    return bool(fs.exists(jpath))


def delete(spark: SparkSession, path: str) -> None:
    """Remove a folder (recursively) or file; nothing when it does not exist."""
    fs, jpath = _fs(spark, path)
    fs.delete(jpath, True)


def matching(spark: SparkSession, pattern: str) -> list[str]:
    """Paths matching a Hadoop glob pattern; [] when none."""
    fs, jpattern = _fs(spark, pattern)
    return [str(s.getPath().toString()) for s in (fs.globStatus(jpattern) or [])]


def subdirs(spark: SparkSession, path: str) -> list[str]:
    """Sorted names of the folders directly under ``path`` ([] when it does not exist)."""
    if not exists(spark, path):
        return []
    fs, jpath = _fs(spark, path)
    return sorted(s.getPath().getName() for s in fs.listStatus(jpath) if s.isDirectory())


def partition_values(spark: SparkSession, path: str, key: str) -> list[str]:
    """Sorted values of the ``key=value`` folders directly under ``path``."""
    prefix = f"{key}="
    return [n[len(prefix) :] for n in subdirs(spark, path) if n.startswith(prefix)]


def latest_before(spark: SparkSession, path: str, key: str, value: str) -> str | None:
    """The greatest ``key`` value below ``value`` with a folder under ``path`` (None if none)."""
    earlier = [v for v in partition_values(spark, path, key) if v < value]
    return earlier[-1] if earlier else None


def read_partitions(spark: SparkSession, dataset_root: str, folders: list[str]) -> DataFrame:
    """Read partition folders of one hive-partitioned dataset, keeping the partition columns
    (``dt``, ``source``, ``run_date``) that live in the folder names, not in the files."""
    return spark.read.option("basePath", dataset_root).parquet(*folders)


def read_partition(spark: SparkSession, root: str, dataset: str, **keys) -> DataFrame:
    """One partition, e.g. ``curated/features/run_date=2026-11-23``, with its keys as columns."""
    return read_partitions(
        spark, paths.path(dataset, root), [paths.partition(dataset, root, **keys)]
    )


def clean_schema(dataset: str) -> T.StructType:
    return from_arrow_schema(clean_arrow_schema(dataset))


def _dates(start: datetime.date, end: datetime.date) -> list[str]:
    return [str(start + datetime.timedelta(days=i)) for i in range((end - start).days + 1)]


def read_clean(
    spark: SparkSession, root: str, dataset: str, start: datetime.date | None, end: datetime.date
) -> DataFrame:
    """Every source's clean partitions of ``dataset`` with dt in [start, end] (every dt up to
    ``end`` when ``start`` is None), contract columns only (drifted extras dropped), ``dt`` and
    ``source`` recovered from the folder names; an empty frame when there is none."""
    days = "*" if start is None else "{" + ",".join(_dates(start, end)) + "}"
    base = paths.path(paths.clean(dataset), root)
    schema = clean_schema(dataset)
    found = matching(spark, paths.at(base, f"dt={days}", "source=*"))
    if not found:
        return spark.createDataFrame([], schema)
    df = read_partitions(spark, base, found)
    df = df.select(*[df[f.name].cast(f.dataType).alias(f.name) for f in schema.fields])
    return df if start is not None else df.where(F.col("dt") <= F.lit(end))


def read_validated(spark: SparkSession, root: str, dt: str) -> dict[str, DataFrame]:
    """Every dataset's validated partition of ``dt`` (all sources), with source and dt columns."""
    frames = {}
    for name in DATASETS:
        if exists(spark, paths.partition(paths.validated(name), root, dt=dt)):
            frames[name] = read_partition(spark, root, paths.validated(name), dt=dt)
    return frames


def previous_map(spark: SparkSession, root: str, dt: str) -> DataFrame | None:
    """The latest identity map snapshot before ``dt`` (None on the first night)."""
    day = latest_before(spark, paths.path(paths.PERSON_MAP, root), "dt", dt)
    if day is None:
        return None
    return spark.read.parquet(paths.partition(paths.PERSON_MAP, root, dt=day))


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write (overwrite) one text file."""
    fs, jpath = _fs(spark, path)
    out = fs.create(jpath, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


# Writing. A folder is replaced by renames, each atomic on a local or HDFS file system, so that a
# job killed at any point (SIGKILL, a lost node) never leaves part of a partition where readers
# look: they see the old folder, the new one, or, between two renames, none. Staging and
# set-aside folders start with "." so that Spark, pyarrow and Hadoop listings skip them (Spark
# does not skip "_" names holding "=": it takes them for partition folders). An object store has
# no atomic rename (s3a copies file by file): there these are as good as a delete and copy.


def _hidden(path: str, tag: str) -> str:
    parent, _, name = path.rstrip("/").rpartition("/")
    return f"{parent}/.{tag}-{name}"


def _move_aside(spark: SparkSession, target: str):
    """Rename ``target`` to a hidden sibling; returns (file system, that sibling, existed)."""
    fs, jtarget = _fs(spark, target)
    _, jaside = _fs(spark, _hidden(target, "replaced"))
    fs.delete(jaside, True)  # what a killed replace left
    existed = bool(fs.exists(jtarget))
    if existed and not fs.rename(jtarget, jaside):
        raise OSError(f"could not move {target} aside")
    return fs, jaside, existed


def remove_dir(spark: SparkSession, target: str) -> bool:
    """Delete the folder ``target``, gone for readers at once; True when it was there."""
    fs, jaside, existed = _move_aside(spark, target)
    fs.delete(jaside, True)
    return existed


def replace_dir(spark: SparkSession, source: str, target: str) -> None:
    """Move the finished folder ``source`` onto ``target``, replacing what was there."""
    fs, jaside, _ = _move_aside(spark, target)
    if not fs.rename(_fs(spark, source)[1], _fs(spark, target)[1]):
        raise OSError(f"could not move {source} to {target}")
    fs.delete(jaside, True)


def overwrite_dir(df: DataFrame, target: str, partition_by: tuple[str, ...] = ()) -> None:
    """``df`` as Parquet in the folder ``target`` (in ``partition_by`` folders), replacing it
    whole: written to a hidden sibling, then moved in by :func:`replace_dir`."""
    spark = df.sparkSession
    staging = _hidden(target, "staging")
    fs, jstaging = _fs(spark, staging)
    fs.delete(jstaging, True)
    df.write.mode("overwrite").partitionBy(*partition_by).parquet(staging)
    replace_dir(spark, staging, target)


def overwrite_partitions(df: DataFrame, path: str, column: str) -> None:
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


def write_clean_partition(df: DataFrame, root: str, dataset: str, dt: str) -> None:
    """Replace ``clean/{dataset}/dt={dt}/`` with exactly ``df``'s rows, one ``source=`` folder
    each. The whole ``dt`` folder is replaced, so a source present in an earlier run of the
    night but not in this one does not linger. Files hold neither ``dt`` nor ``source``."""
    overwrite_dir(df.drop("dt"), paths.partition(paths.clean(dataset), root, dt=dt), ("source",))
