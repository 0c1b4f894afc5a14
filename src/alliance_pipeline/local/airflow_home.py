"""Environment for running Airflow on this machine: SQLite metadata, the project's folders,
and the connections of config/airflow-connections.json (used by the demo, the UI and tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from alliance_pipeline.airflow_env import airflow_env
from alliance_pipeline.settings import PROJECT_ROOT, SCHEDULER_PRELOAD

# The warehouse opens a DuckDB connection per transaction; the provider's hook logs each at
# info ("Opening DuckDB database ..."), which drowns the demo's summary and the task logs.
QUIET_LOGGERS = "airflow.task.hooks.alliance_pipeline.warehouse=warning"


# What the user exported before this process set anything: their own connections and variables.
USER_EXPORTED = {
    name: value
    for name, value in os.environ.items()
    if name.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))
}


def local_airflow_environ(
    home: Path, overrides: Mapping[str, str] | None = None, keep: Mapping[str, str] | None = None
) -> dict[str, str]:
    """os.environ plus what a local Airflow in ``home`` needs; ``overrides`` fill the
    placeholders of the connections file (ALLIANCE_S3_ENDPOINT, ALLIANCE_WAREHOUSE_PATH, ...).
    The connections and variables in ``keep`` (e.g. USER_EXPORTED) win over the file's."""
    env = {**os.environ, **(overrides or {})}
    bin_dir = str(Path(sys.executable).parent)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__NAMESPACE_LEVELS": QUIET_LOGGERS,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__SCHEDULER__MP_START_METHOD": "forkserver",
            "AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD": SCHEDULER_PRELOAD,
            "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_DRIVER_PYTHON": sys.executable,
            "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
        }
    )
    env.update(airflow_env(env))
    env.update(keep or {})
    return env


def migrate_metadata_db(env: Mapping[str, str]) -> None:
    """``airflow db migrate`` (creates the SQLite metadata database) and the ``spark`` and ``settlement`` pools."""
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    airflow = str(Path(sys.executable).with_name("airflow"))
    for command in (
        ["db", "migrate"],
        ["pools", "set", "spark", "1", "Spark jobs (one at a time)"],
        ["pools", "set", "settlement", "1", "settle and the monthly close (never at once)"],
    ):
        subprocess.run([airflow, *command], env=dict(env), check=True, stdout=subprocess.DEVNULL)
