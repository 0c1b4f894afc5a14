"""Failure alerts: one line per failed task, naming the run and the source's contact.

The line goes to the task log and to ``reports/alerts/alerts.jsonl`` where an on-call tool
(or a data engineer) picks it up. It never carries row data.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from airflow.sdk import BaseNotifier

from alliance_pipeline.lake import paths

log = logging.getLogger(__name__)


class AllianceAlertNotifier(BaseNotifier):
    template_fields = ()

    def render_template_fields(self, context, jinja_env=None) -> None:
        """Nothing to render. (The run-level callback gets a SerializedDAG, which has no
        template environment on Airflow 3.3.2: the base class would fail before notify.)"""

    def notify(self, context) -> None:
        ti = context.get("ti")  # absent when the whole run failed (e.g. it ran out of time)
        dag_run = context.get("dag_run")
        batch = _batch_of(ti) if ti else {}
        alert = {
            "at": datetime.now(UTC).isoformat(),
            "dag_id": ti.dag_id if ti else getattr(dag_run, "dag_id", None),
            "task_id": ti.task_id if ti else None,
            "map_index": getattr(ti, "map_index", -1),
            "run_id": context.get("run_id") or getattr(dag_run, "run_id", None),
            "try_number": getattr(ti, "try_number", None),
            "source": batch.get("source"),
            "dataset": batch.get("dataset"),
            "contact": _contact(batch.get("source")),
            "error": str(context.get("exception") or context.get("reason") or "")[:500],
        }
        log.error("ALERT %s", json.dumps(alert, sort_keys=True))
        path = paths.path(paths.ALERTS) / "alerts.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(alert, sort_keys=True) + "\n")


def _batch_of(ti) -> dict:
    """A mapped delivery task is labelled ``source/dataset`` (tasks.nightly.batch_label)."""
    label = getattr(ti, "rendered_map_index", None) or ""
    source, _, dataset = label.partition("/")
    return {"source": source, "dataset": dataset} if dataset else {}


def _contact(source_id: str | None) -> str | None:
    if not source_id:
        return None
    from alliance_pipeline.registry import source

    try:
        return source(source_id).alert_contact
    except ValueError:
        return None
