"""Shared test kit. Each fixture module under tests/fixtures/ owns one real component."""

import os
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.s3",  # seaweedfs_s3: a real S3 server for the session
    "tests.fixtures.postgres",  # pg_dsn: WAREHOUSE_TEST_DSN or a throwaway PostgreSQL
    "tests.fixtures.spark",  # spark: one local SparkSession for the session
]


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty lake root for one test."""
    root = tmp_path / "lake"
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(root))
    return root


def pytest_report_header(config):
    return f"WAREHOUSE_TEST_DSN={'set' if os.environ.get('WAREHOUSE_TEST_DSN') else 'unset'}"
