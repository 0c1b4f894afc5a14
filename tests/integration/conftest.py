"""Runs shared by the integration modules that only read them."""

import pytest

from tests.integration.two_nights import land_and_run_on_duckdb


@pytest.fixture(scope="session")
def duckdb_nights(airflow_db, s3_endpoint, tmp_path_factory) -> dict:
    """Two months' boundary nights and the close through dag.test() on DuckDB (two_nights)."""
    return land_and_run_on_duckdb(s3_endpoint, tmp_path_factory.mktemp("duckdb-nights"))
