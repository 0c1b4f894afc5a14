"""``airflow dags test --use-executor`` as the scheduler would run the tasks: the scheduler's
``multiprocessing`` start method and forkserver preload (``[scheduler] mp_start_method``,
``mp_forkserver_preload``) applied before the executor starts, which ``airflow scheduler`` does
itself and ``airflow dags test`` does not.

    python -m alliance_pipeline.local.dags_test alliance_nightly 2026-11-24T03:00:00+08:00
"""

from __future__ import annotations

import sys

from airflow.__main__ import main
from airflow.utils.process_utils import set_component_mp_start_method


def run(args: list[str]) -> None:
    set_component_mp_start_method("scheduler")
    sys.argv = ["airflow", "dags", "test", "--use-executor", *args]
    main()


if __name__ == "__main__":
    run(sys.argv[1:])
