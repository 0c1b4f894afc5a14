"""The demo's runs keep their task logs where the UI reads them: a DAG run through the demo's
executor environment (LocalExecutor, an api-server) writes each task's log file, and the
api-server serves it, as ``make ui`` does for the demo's nights."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from alliance_pipeline.local.airflow_home import local_airflow_environ, migrate_metadata_db
from alliance_pipeline.local.runs import executor_environ, run_dag
from alliance_pipeline.warehouse import open_warehouse

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

DAG_ID, TASK_ID = "alliance_night_watch", "check_night"


def test_a_run_through_the_executor_leaves_task_logs_the_api_serves(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    open_warehouse(f"duckdb:///{warehouse}").migrate()
    env = local_airflow_environ(
        tmp_path / "airflow",
        {"ALLIANCE_LAKE_ROOT": str(tmp_path / "lake"), "ALLIANCE_WAREHOUSE_PATH": str(warehouse)},
    )
    migrate_metadata_db(env)
    with executor_environ(env) as run_env:
        log = tmp_path / "run.log"
        ok = run_dag(run_env, DAG_ID, "2026-11-24T07:00:00+08:00", {}, log, timeout=300)
        assert ok, log.read_text()[-3000:]
        base = run_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].removesuffix("/execution/")
        token = requests.get(f"{base}/auth/token", timeout=30).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        runs = requests.get(f"{base}/api/v2/dags/{DAG_ID}/dagRuns", headers=auth, timeout=30)
        (run,) = runs.json()["dag_runs"]
        assert run["state"] == "success"
        served = requests.get(
            f"{base}/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}"
            f"/taskInstances/{TASK_ID}/logs/1",
            headers={**auth, "Accept": "application/json"},
            timeout=30,
        )
    files = list((tmp_path / "airflow" / "logs").glob(f"dag_id={DAG_ID}/*/task_id={TASK_ID}/*.log"))
    assert len(files) == 1
    # The night has no record, so the watch alerted: its own words are in the file and the API.
    assert "night late" in files[0].read_text().lower()
    events = " ".join(str(line.get("event", "")) for line in served.json()["content"])
    assert "night late" in events.lower()


def test_a_run_past_its_timeout_is_stopped_and_counted_failed(tmp_path: Path) -> None:
    env = local_airflow_environ(
        tmp_path / "airflow", {"ALLIANCE_LAKE_ROOT": str(tmp_path / "lake")}
    )
    log = tmp_path / "run.log"
    assert not run_dag(env, DAG_ID, "2026-11-24T07:00:00+08:00", {}, log, timeout=0.5)
    assert log.read_text().endswith(f"alliance: {DAG_ID} stopped after 0 s\n")
