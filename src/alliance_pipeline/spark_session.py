"""The one SparkSession recipe of every job (and of the test kit), local or on a cluster. How
jobs read and write the lake: :mod:`alliance_pipeline.lake.spark_io`."""

from __future__ import annotations

# Timestamps are written as Parquet INT64 micros adjusted to UTC (not Spark's default INT96), so
# pyarrow and DuckDB read them back as timestamp[us, tz=UTC].
JOB_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.redaction.string.regex": "0x[0-9A-Fa-f]{32,}",  # hides HMAC key literals in plans
}


def job_session(app_name: str, extra: dict[str, str] | None = None):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    for key, value in {**JOB_CONF, **(extra or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
