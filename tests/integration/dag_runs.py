"""Running the project's DAGs with dag.test() in tests, and reading the marts they publish."""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import sys
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from alliance_pipeline.settings import PROJECT_ROOT

# Run logs, not marts of a night: they gain a row per run by design.
RUN_LOGS = {"pipeline_run"}


def run_dag(
    dag_id: str,
    logical_date: datetime.datetime,
    conf: dict,
    log_file: Path,
    task_ids: Iterable[str] | None = None,
) -> dict:
    """dag.test() one run (of only ``task_ids`` when given, their order kept); everything the
    tasks print (their logs) goes to ``log_file``. Returns the task instance states by
    (task_id, map_index)."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags")).get_dag(dag_id)
    if task_ids is not None:
        dag = dag.partial_subset(sorted(task_ids), include_upstream=False)
        _drop_absent_children(dag.task_group, set(dag.task_ids))
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    handler = logging.FileHandler(log_file.with_suffix(".logging.txt"), encoding="utf-8")
    logging.getLogger().addHandler(handler)
    with log_file.open("a", encoding="utf-8") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                dag_run = dag.test(logical_date=logical_date, run_conf=conf)
        finally:
            logging.getLogger().removeHandler(handler)
            handler.close()
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
    return {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}


def _drop_absent_children(group, task_ids: set[str]) -> None:
    """partial_subset keeps every child of a mapped task group, and the subset then fails to
    deserialize (KeyError on the first absent task): drop them, and groups left empty."""
    for label, child in list(group.children.items()):
        if hasattr(child, "children"):
            _drop_absent_children(child, task_ids)
            if not child.children:
                del group.children[label]
        elif label not in task_ids:
            del group.children[label]


def night_logical_date(night: datetime.date) -> datetime.datetime:
    """The logical date of the scheduled run of ``night``: 03:00 Shanghai the day after."""
    return datetime.datetime.combine(night, datetime.time(19, 0), tzinfo=datetime.UTC)


def _comparable(value):
    """One spelling per value whatever the dialect returned (JSON text or object, tz)."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, float | Decimal | int | str | bool | datetime.date) or value is None:
        return value
    return str(value)


def mart_rows(wh, skip_columns: frozenset[str] = frozenset({"run_id"})) -> dict[str, list]:
    """Every mart table (run logs apart) as sorted rows of its columns in name order."""
    tables = [
        t
        for (t,) in wh.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'mart' "
            "AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        if t not in RUN_LOGS
    ]
    out = {}
    for table in tables:
        columns = sorted(c for c in wh.columns(f"mart.{table}") if c not in skip_columns)
        select = ", ".join(f'"{c}"' for c in columns)
        rows = [tuple(map(_comparable, r)) for r in wh.query(f"SELECT {select} FROM mart.{table}")]
        out[table] = sorted(rows, key=repr)
    return out
