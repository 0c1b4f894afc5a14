"""The whole night through Airflow itself: dag.test() of alliance_nightly on a generated night
with injected defects, against a real S3 server, the DuckDB warehouse and Spark (local mode)."""

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import duckdb
import pytest

from alliance_pipeline.airflow_env import airflow_env
from alliance_pipeline.generator import GeneratorConfig, run_to
from alliance_pipeline.lake import raw_partition

pytestmark = [pytest.mark.integration, pytest.mark.spark]

NIGHT = dt.date(2026, 11, 23)
LOGICAL_DATE = dt.datetime(2026, 11, 23, 19, 0, tzinfo=dt.UTC)  # 03:00 on the 24th, Shanghai
BATCH_DEFECTS = (
    "checksum_mismatch",
    "truncated_file",
    "row_count_mismatch",
    "missing_required_column",
)


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "_ingestion.json" and "/_superseded/" not in str(p)
    }


@pytest.fixture(scope="module")
def night_env(airflow_db, s3_endpoint, tmp_path_factory):
    """Lake, warehouse and landing bucket of this module, wired into the Airflow connections."""
    home = tmp_path_factory.mktemp("night")
    bucket = "night-landing"
    overrides = {
        "ALLIANCE_LAKE_ROOT": str(home / "lake"),
        "ALLIANCE_WAREHOUSE_PATH": str(home / "warehouse.duckdb"),
        "ALLIANCE_LANDING_BUCKET": bucket,
        "ALLIANCE_S3_ENDPOINT": s3_endpoint.url,
    }
    saved = dict(os.environ)
    os.environ.update(overrides)
    os.environ.update(airflow_env(os.environ))
    client = s3_endpoint.client()
    client.create_bucket(Bucket=bucket)
    truth = run_to(
        GeneratorConfig(persons=600, days=1, end_date=NIGHT, seed=11, defects=True),
        s3_client=client,
        bucket=bucket,
    )
    yield home, truth
    os.environ.clear()
    os.environ.update(saved)


def run_night(capfd) -> tuple[dict[tuple[str, int], str], str]:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(Path(__file__).parents[2] / "dags")).get_dag("alliance_nightly")
    dag_run = dag.test(logical_date=LOGICAL_DATE, run_conf={"date": NIGHT.isoformat()})
    states = {(ti.task_id, ti.map_index): str(ti.state) for ti in dag_run.get_task_instances()}
    logs = capfd.readouterr()
    return states, logs.out + logs.err


@pytest.fixture(scope="module")
def first_run(night_env):
    return {}


def warehouse_rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_a_night_with_defects(night_env, capfd):
    home, truth = night_env
    states, logs = run_night(capfd)
    (home / "first-run.log").write_text(logs)
    print(json.dumps({f"{k[0]}[{k[1]}]": v for k, v in sorted(states.items())}, indent=1))
    failed = {k for k, v in states.items() if v == "failed"}
    assert failed
