"""How one demo run ended, and whether a night that failed failed only as the generator
planted it.

With defects on, the generator rejects whole deliveries on purpose (generator/defects.py); the
night then ends with their mapped tasks and ``summarise`` failed, by design. Such a night failed
"as planted" when its real outputs say so, all of them:

- the Airflow run (its task instances in the metadata database): the only failed tasks are the
  mapped delivery tasks (``reference.*``/``facts.*``) of planted deliveries and ``summarise``,
  every other task succeeded or was skipped;
- the warehouse: the deliveries refused by ingestion (``ops.ingestion_log``) or rejected by
  validation (``mart.quarantine_index``) that night are exactly the planted ones, and
  ``mart.pipeline_run`` recorded the night;
- the generator's truth (``generator-truth.json``): which deliveries were planted bad.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

DELIVERY_GROUPS = ("reference", "facts")
DONE = {"success", "skipped"}
FAILED = {"failed", "upstream_failed"}


@dataclass(frozen=True)
class RunResult:
    """One DAG run of the demo: ``planted`` is the line saying why a night failed as planted."""

    label: str  # "night 2026-11-30", "close 2026-11"
    ok: bool
    log: Path
    seconds: float
    planted: str | None = None


@dataclass(frozen=True)
class TaskState:
    task_id: str
    label: str | None  # a mapped delivery task's rendered map index: source/dataset
    state: str | None


def planted_batches(truth_path: Path, night: datetime.date) -> dict[tuple[str, str], str]:
    """(source, dataset) -> kind of the deliveries of ``night`` the generator planted bad."""
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return {
        (d["source"], d["dataset"]): d["kind"]
        for d in truth.get("defects", [])
        if d["level"] == "batch" and d["dt"] == night.isoformat()
    }


def run_task_states(
    airflow_db: Path, dag_id: str, logical_date: datetime.datetime
) -> list[TaskState]:
    """The task instances of the run of ``dag_id`` at ``logical_date`` (its latest, if several)."""
    want = logical_date.astimezone(datetime.UTC).replace(tzinfo=None)
    with contextlib.closing(sqlite3.connect(f"file:{airflow_db}?mode=ro", uri=True)) as db:
        runs = db.execute(
            "SELECT run_id, logical_date FROM dag_run WHERE dag_id = ? ORDER BY id", [dag_id]
        ).fetchall()
        run_ids = [r for r, at in runs if at and _utc(at) == want]
        if not run_ids:
            return []
        rows = db.execute(
            "SELECT task_id, map_index, rendered_map_index, state FROM task_instance "
            "WHERE dag_id = ? AND run_id = ?",
            [dag_id, run_ids[-1]],
        ).fetchall()
    # a task that never ran (upstream_failed) has no rendered label: its group's tasks of the
    # same map index name the delivery
    labels = {(t.split(".")[0], i): label for t, i, label, _ in rows if label}
    return [
        TaskState(t, label or labels.get((t.split(".")[0], i)) if i >= 0 else label, state)
        for t, i, label, state in rows
    ]


def _utc(text: str) -> datetime.datetime:
    at = datetime.datetime.fromisoformat(text)
    return at.astimezone(datetime.UTC).replace(tzinfo=None) if at.tzinfo else at


def rejected_deliveries(warehouse: Path, night: datetime.date) -> dict[tuple[str, str], str]:
    """(source, dataset) -> the rule, of the night's deliveries refused by ingestion or
    rejected whole by validation."""
    from alliance_pipeline.warehouse import open_warehouse

    wh = open_warehouse(f"duckdb:///{warehouse}")
    out: dict[tuple[str, str], str] = {}
    for source, dataset, message in wh.query(
        "SELECT source, dataset, message FROM ops.ingestion_log "
        "WHERE status = 'failed' AND dt = ? ORDER BY ingested_at",
        [night],
    ):
        out[source, dataset] = _rule_of(message or "refused")
    for source, dataset, rule in wh.query(
        "SELECT source, dataset, string_agg(rule, ', ' ORDER BY rule) FROM mart.quarantine_index "
        "WHERE batch_rejected AND dt = ? GROUP BY 1, 2",
        [night],
    ):
        out[source, dataset] = rule
    return out


def _rule_of(message: str) -> str:
    """An ingestion message without its ``source=… dataset=… dt=…:`` prefix, the landing key
    (``a part file``) and the digests in brackets."""
    text = message.split(": ", 1)[-1] if message.startswith("source=") else message
    text = re.sub(r"\S*/dt=\S*", "a part file", text)
    return re.sub(r"\s*\([^)]*\)", "", text).strip()


def recorded_night(warehouse: Path, night: datetime.date) -> dict | None:
    """The night's ``mart.pipeline_run`` summary (deliveries planned, passed, failed), its
    latest run's; None when the night was not recorded."""
    from alliance_pipeline.warehouse import open_warehouse

    wh = open_warehouse(f"duckdb:///{warehouse}")
    rows = wh.query(
        "SELECT summary FROM mart.pipeline_run WHERE dt = ? ORDER BY finished_at DESC", [night]
    )
    return json.loads(rows[0][0]) if rows and rows[0][0] else None


def failed_as_planted(
    home: Path, dag_id: str, logical_date: datetime.datetime, night: datetime.date
) -> str | None:
    """The line saying why the failed night ``night`` failed as planted, or None when its
    outputs show any other failure (then it is a real failure)."""
    planted = planted_batches(home / "generator-truth.json", night)
    if not planted:
        return None
    labels = {f"{s}/{d}" for s, d in planted}
    tasks = run_task_states(home / "airflow" / "airflow.db", dag_id, logical_date)
    if not tasks:
        return None
    for t in tasks:
        if t.state in DONE:
            continue
        planted_task = t.task_id.split(".")[0] in DELIVERY_GROUPS and t.label in labels
        if t.state not in FAILED or not (planted_task or t.task_id == "summarise"):
            return None
    if not any(t.task_id == "summarise" and t.state == "failed" for t in tasks):
        return None
    warehouse = home / "warehouse.duckdb"
    rejected = rejected_deliveries(warehouse, night)
    recorded = recorded_night(warehouse, night)
    if set(rejected) != set(planted) or recorded is None:
        return None
    if sorted(recorded.get("deliveries_failed", [])) != sorted(labels):
        return None
    what = "; ".join(f"{s}/{d}: {rule}" for (s, d), rule in sorted(rejected.items()))
    n, passed = len(rejected), recorded.get("deliveries_passed", 0)
    return (
        f"night {night}: failed as planted — {n} deliver{'y' if n == 1 else 'ies'} rejected "
        f"({what}); the other {passed} deliveries passed and were published"
    )
