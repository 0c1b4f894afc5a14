"""One DAG run on this machine, for the demo: ``airflow dags test`` in a subprocess, its output
in a log file, its tasks through the LocalExecutor of :func:`executor_environ`. Used for the
nights and the monthly close alike."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Generator
from pathlib import Path

from alliance_pipeline.local.s3_server import free_port
from alliance_pipeline.local.ui import serve

# Task processes at once. A delivery's task spends most of its second waiting on the execution
# API and on S3, so two per core keep the cores busy: the demo's 84 delivery task instances
# took 74 s of wall time with one per core and 47 s with two (three: 45 s, each task slower).
TASKS_PER_CORE = 2


@contextlib.contextmanager
def executor_environ(env: dict[str, str]) -> Generator[dict[str, str]]:
    """``env`` for runs whose tasks go through the LocalExecutor, as the scheduler's would: each
    task instance is its own process, reports to the execution API of an api-server started here
    (stopped on exit) and writes its log under the home's logs/, which ``make ui`` shows."""
    with serve(env, free_port(), components=("api-server",)) as url:
        # The execution API builds itself on its first request (7 s here, more under load), and
        # a task's first call gave up after 5 s and started its instance a second time while
        # the first call was still running. So build it now, before any task calls it.
        with urllib.request.urlopen(f"{url}/execution/health", timeout=120):
            pass
        yield {
            **env,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
            "AIRFLOW__CORE__PARALLELISM": str(TASKS_PER_CORE * (os.cpu_count() or 2)),
            # One local api-server behind SQLite: a loaded machine answers slower than 5 s.
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
        }


def run_dag(
    env: dict[str, str],
    dag_id: str,
    logical_date: str,
    conf: dict,
    log_path: Path,
    timeout: float | None = None,
) -> bool:
    """Run ``dag_id`` once for ``logical_date`` (ISO 8601 with an offset) with ``conf``, its
    output into ``log_path``; True when the run succeeded. ``dags test`` waits forever on a
    task instance whose process died unreported; past ``timeout`` seconds the run is stopped,
    counted failed and the reason written at the end of the log."""
    args = [dag_id, logical_date, "--conf", json.dumps(conf)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alliance_pipeline.local.dags_test", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its executor's task processes go with it on a timeout
        )
        try:
            returncode = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            out.write(f"\nalliance: {dag_id} stopped after {timeout:.0f} s\n".encode())
            return False
    return returncode == 0 and b"state=failed" not in log_path.read_bytes()[-4000:]
