"""One DAG run on this machine, for the demo: ``airflow dags test`` in a subprocess, its output
in a log file. Used for the nights and the monthly close alike."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_dag(
    env: dict[str, str], dag_id: str, logical_date: str, conf: dict, log_path: Path
) -> bool:
    """Run ``dag_id`` once for ``logical_date`` (ISO 8601 with an offset) with ``conf``, its
    output into ``log_path``; True when the run succeeded."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        proc = subprocess.run(
            [
                str(Path(sys.executable).with_name("airflow")),
                "dags",
                "test",
                dag_id,
                logical_date,
                "--conf",
                json.dumps(conf),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc.returncode == 0 and b"state=failed" not in log_path.read_bytes()[-4000:]
