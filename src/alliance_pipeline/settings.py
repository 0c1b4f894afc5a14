"""Where things are: project folders, the lake's zones, connection ids.

Everything is read when called, never at import, so DAG parsing does no I/O.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("ALLIANCE_HOME", Path(__file__).resolve().parents[2]))
CONFIG_DIR = Path(os.environ.get("ALLIANCE_CONFIG_DIR", PROJECT_ROOT / "config"))
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
JOBS_DIR = PROJECT_ROOT / "jobs"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

# Airflow connection ids; docker-compose.yml and config/airflow-connections.json use the same.
S3_CONN_ID = "alliance_s3"
WAREHOUSE_CONN_ID = "alliance_warehouse"
SPARK_CONN_ID = "spark_default"
PSEUDONYM_KEY_CONN_ID = "alliance_pseudonym_key"

# The scheduler's task processes fork from a forkserver that imported these once, instead of
# each importing them again (Great Expectations alone takes 6 s; every validate task needs it).
# docker-compose.yml and the local Airflow environment set [scheduler] mp_forkserver_preload so.
SCHEDULER_PRELOAD = "great_expectations,alliance_pipeline.tasks.nightly"

PLATFORM_TIMEZONE = "Asia/Shanghai"
# raw, quarantine, validated and identity hold personal data: restricted, never read by BI.
ZONES = ("raw", "quarantine", "validated", "identity", "clean", "curated", "reports")


def lake_root() -> Path:
    """The lake's root folder (``ALLIANCE_LAKE_ROOT``, default ``var/lake`` in the project)."""
    return Path(os.environ.get("ALLIANCE_LAKE_ROOT", PROJECT_ROOT / "var" / "lake"))


def zone(name: str) -> Path:
    if name not in ZONES:
        raise ValueError(f"unknown zone {name!r}; zones are {ZONES}")
    return lake_root() / name


def landing_bucket() -> str:
    return os.environ.get("ALLIANCE_LANDING_BUCKET", "alliance-landing")
