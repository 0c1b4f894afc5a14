"""Airflow's own backfill of seven nights gives the same warehouse as the seven nights run one by
one; rerunning a night afterwards changes no mart and duplicates no row.

The backfill runs as in production: ``airflow backfill create`` against a scheduler
(LocalExecutor), dag-processor and api-server on loopback, each task in its own process. The
single nights are dag.test() runs. Both read the same deliveries from a real S3 server
(SeaweedFS); models are off (``models``: false), as for a money backfill of past nights.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alliance_pipeline.airflow_env import airflow_env
from alliance_pipeline.generator import GeneratorConfig, run_to
from alliance_pipeline.local.airflow_home import migrate_metadata_db
from alliance_pipeline.local.ui import serve, ui_environ
from alliance_pipeline.warehouse import open_warehouse
from tests.fixtures.ports import free_port
from tests.fixtures.postgres import fresh_database
from tests.integration.dag_runs import mart_rows, night_logical_date, run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.slow]

NIGHTS = [datetime.date(2026, 11, 10) + datetime.timedelta(days=i) for i in range(7)]
SOURCES = ("platform", "moonbay")  # a partner: campaigns, statements
CONF = {"sources": list(SOURCES), "models": False}
BUCKET = "backfill-landing"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
BACKFILL_TIMEOUT_S = 2400


def airflow(env: dict, *args: str) -> str:
    airflow_bin = str(Path(sys.executable).with_name("airflow"))
    done = subprocess.run(
        [airflow_bin, *args], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise RuntimeError(f"airflow {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout


def run_backfill(home: Path, s3_url: str, metadata_url: str) -> dict[str, str]:
    """Backfill NIGHTS through a scheduler whose metadata database is the PostgreSQL database
    ``metadata_url`` (as in production; SQLite locks under a scheduler and parallel tasks);
    the run states by logical date."""
    env = ui_environ(
        home,
        extra={
            "ALLIANCE_S3_ENDPOINT": s3_url,
            "ALLIANCE_LANDING_BUCKET": BUCKET,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url.replace(
                "postgresql://", "postgresql+psycopg2://", 1
            ),
            # Only the backfill's runs: no scheduled run of "yesterday" next to them.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        },
    )
    migrate_metadata_db(env)
    with serve(env, free_port()):
        deadline = time.monotonic() + 180
        while True:  # the dag-processor has to parse the DAG before it can be unpaused
            try:
                airflow(env, "dags", "unpause", "alliance_nightly")
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(5)
        first = datetime.datetime.combine(NIGHTS[0], datetime.time(0, 0), SHANGHAI)
        last = datetime.datetime.combine(NIGHTS[-1], datetime.time(23, 0), SHANGHAI)
        airflow(
            env,
            "backfill",
            "create",
            "--dag-id",
            "alliance_nightly",
            "--from-date",
            first.isoformat(),
            "--to-date",
            last.isoformat(),
            "--dag-run-conf",
            json.dumps(CONF),
            "--max-active-runs",
            "1",
        )
        deadline = time.monotonic() + BACKFILL_TIMEOUT_S
        while time.monotonic() < deadline:
            listed = airflow(env, "dags", "list-runs", "alliance_nightly", "-o", "json")
            # The JSON is the last line: warnings are logged to stdout before it.
            runs = json.loads([ln for ln in listed.splitlines() if ln.startswith("[{")][-1])
            states = {r["logical_date"]: r["state"] for r in runs}
            if len(states) == len(NIGHTS) and all(
                s in ("success", "failed") for s in states.values()
            ):
                return states
            time.sleep(15)
        raise TimeoutError(f"backfill not done after {BACKFILL_TIMEOUT_S}s: {states}")


@pytest.fixture(scope="module")
def warehouses(airflow_db, s3_endpoint, pg_dsn, tmp_path_factory):
    saved = dict(os.environ)
    singles = tmp_path_factory.mktemp("single-nights")
    backfill = tmp_path_factory.mktemp("backfill")
    os.environ.update(
        {
            "ALLIANCE_LANDING_BUCKET": BUCKET,
            "ALLIANCE_S3_ENDPOINT": s3_endpoint.url,
            "ALLIANCE_LAKE_ROOT": str(singles / "lake"),
            "ALLIANCE_WAREHOUSE_PATH": str(singles / "warehouse.duckdb"),
        }
    )
    os.environ.update(airflow_env(os.environ))
    try:
        client = s3_endpoint.client()
        client.create_bucket(Bucket=BUCKET)
        cfg = GeneratorConfig(
            persons=300, days=len(NIGHTS), end_date=NIGHTS[-1], seed=31, sources=SOURCES
        )
        run_to(cfg, s3_client=client, bucket=BUCKET)
        single_states = [
            run_dag(
                "alliance_nightly",
                night_logical_date(night),
                {**CONF, "date": night.isoformat()},
                singles / "task-logs.txt",
            )
            for night in NIGHTS
        ]
        with fresh_database(pg_dsn, "alliance_airflow") as metadata_url:
            backfill_states = run_backfill(backfill, s3_endpoint.url, metadata_url)
        single_wh = open_warehouse(f"duckdb:///{singles / 'warehouse.duckdb'}")
        before_rerun = mart_rows(single_wh)
        rerun = NIGHTS[3]
        rerun_states = run_dag(
            "alliance_nightly",
            night_logical_date(rerun),
            {**CONF, "date": rerun.isoformat()},
            singles / "task-logs.txt",
        )
        yield {
            "single_states": single_states,
            "backfill_states": backfill_states,
            "singles": before_rerun,
            "backfill": mart_rows(open_warehouse(f"duckdb:///{backfill / 'warehouse.duckdb'}")),
            "rerun_states": rerun_states,
            "after_rerun": mart_rows(single_wh),
        }
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_every_night_succeeds_both_ways(warehouses):
    for states in warehouses["single_states"] + [warehouses["rerun_states"]]:
        bad = {k: v for k, v in states.items() if v not in ("success", "skipped")}
        assert bad == {}
    assert set(warehouses["backfill_states"].values()) == {"success"}


def test_backfill_gives_the_same_warehouse_as_single_nights(warehouses):
    singles, backfill = warehouses["singles"], warehouses["backfill"]
    assert set(singles) == set(backfill)
    for table in ("fct_order", "settlement_statement", "fct_campaign_daily", "dq_result"):
        assert singles[table], table
    nights = {v for row in singles["dq_result"] for v in row if type(v) is datetime.date}
    assert set(NIGHTS) <= nights
    for table in sorted(singles):
        assert backfill[table] == singles[table], table


def test_rerun_changes_no_mart_and_duplicates_nothing(warehouses):
    after = warehouses["after_rerun"]
    assert after == warehouses["singles"]
    for table, rows in after.items():
        assert len(set(rows)) == len(rows), table
