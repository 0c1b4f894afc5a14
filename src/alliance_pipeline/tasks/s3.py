"""The S3 client of the ``alliance_s3`` Airflow connection (landing and outbound)."""

from __future__ import annotations

from alliance_pipeline.settings import S3_CONN_ID


def s3_client():
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=S3_CONN_ID).get_conn()
