"""The S3 client of the ``alliance_s3`` Airflow connection (landing and outbound)."""

from __future__ import annotations

import functools
import os

from alliance_pipeline.settings import S3_CONN_ID


def s3_client():
    """One client per process and connection definition: building a boto3 client loads its
    service model (a large JSON file) each time, which cost more than the downloads of a night's
    small deliveries. A connection defined in the environment is part of the key, so a changed
    definition gets a new client."""
    return _client(S3_CONN_ID, os.environ.get(f"AIRFLOW_CONN_{S3_CONN_ID.upper()}"))


@functools.cache
def _client(conn_id: str, _definition: str | None):
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=conn_id).get_conn()
