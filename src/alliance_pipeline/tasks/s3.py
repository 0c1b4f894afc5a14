"""S3 clients of Airflow connections: the pipeline's ``alliance_s3`` (landing and outbound) and
any a source names for its own landing or outbound bucket (config/sources.yml)."""

from __future__ import annotations

import functools
import os

from alliance_pipeline.settings import S3_CONN_ID, landing_bucket


def s3_client(conn_id: str = S3_CONN_ID):
    """One client per process and connection definition: building a boto3 client loads its
    service model (a large JSON file) each time, which cost more than the downloads of a night's
    small deliveries. A connection defined in the environment is part of the key, so a changed
    definition gets a new client."""
    return _client(conn_id, os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"))


def landing_of(src):
    """The client and bucket ``src`` delivers into."""
    return s3_client(src.landing_conn_id or S3_CONN_ID), src.landing_bucket or landing_bucket()


def outbound_of(partner):
    """The client and bucket ``partner``'s statements and audience files are written to."""
    conn_id = partner.outbound_conn_id or S3_CONN_ID
    return s3_client(conn_id), partner.outbound_bucket or landing_bucket()


@functools.cache
def _client(conn_id: str, _definition: str | None):
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=conn_id).get_conn()
