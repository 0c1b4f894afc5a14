"""Alerts: a failed task, or a night not done in time, reaches a person.

Every alert is one line in the task log and in ``reports/alerts/alerts.jsonl`` (the local default;
an on-call tool can follow the file). It is also mailed through the SMTP connection
``alerts.email_conn_id`` (the providers' ``SmtpNotifier``) to the platform's on-call and, for a
delivery, to its source's registry ``alert_contact``, and posted through the Slack webhook
connection ``alerts.slack_conn_id`` (``SlackWebhookNotifier``); each of these channels only when
its connection exists. An alert names the DAG, run, task, source, dataset, night and the rule
(the error, whose messages never carry row data), links to the task log and the night's
data-quality page, and carries no row data. A channel that fails is logged; the others still go.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import UTC, datetime

from airflow.sdk import BaseNotifier

from alliance_pipeline.lake import paths

log = logging.getLogger(__name__)

FIELDS = ("kind", "dag_id", "run_id", "task_id", "source", "dataset", "dt", "error")


class AllianceAlertNotifier(BaseNotifier):
    """A task's failure; with ``run_level``, the DAG run's (its context also holds the last
    failed task instance, which has alerted on its own)."""

    template_fields = ()

    def __init__(self, run_level: bool = False):
        super().__init__()
        self.run_level = run_level

    def render_template_fields(self, context, jinja_env=None) -> None:
        """Nothing to render. (The run-level callback gets a SerializedDAG, which has no
        template environment on Airflow 3.3.2: the base class would fail before notify.)"""

    def notify(self, context) -> None:
        send(alert_of(context, self.run_level))


def alert_of(context, run_level: bool = False) -> dict:
    """The alert of a failed task (``ti`` in the context) or, with ``run_level``, run."""
    ti = None if run_level else context.get("ti")
    dag_run = context.get("dag_run")
    batch = _batch_of(ti) if ti else {}
    dag_id = ti.dag_id if ti else getattr(dag_run, "dag_id", None)
    run_id = context.get("run_id") or getattr(dag_run, "run_id", None)
    dt = _night_of(dag_run)
    return {
        "at": datetime.now(UTC).isoformat(),
        "kind": "task failed" if ti else "run failed",
        "dag_id": dag_id,
        "task_id": ti.task_id if ti else None,
        "map_index": getattr(ti, "map_index", -1),
        "run_id": run_id,
        "try_number": getattr(ti, "try_number", None),
        "source": batch.get("source"),
        "dataset": batch.get("dataset"),
        "dt": dt,
        "contact": _contact(batch.get("source")),
        "error": str(context.get("exception") or context.get("reason") or "")[:500],
        "log_url": _log_url(ti, dag_id, run_id),
        "quality_url": _quality_url(dt),
    }


def late_night_alert(dag_id: str, dt: str, done_by: str, state: str | None) -> dict:
    """The warning that ``dag_id``'s night ``dt`` is not done at ``done_by`` (it may still end
    in time for its timeout; this is the early word)."""
    return {
        "at": datetime.now(UTC).isoformat(),
        "kind": "night late",
        "dag_id": dag_id,
        "task_id": None,
        "map_index": -1,
        "run_id": None,
        "try_number": None,
        "source": None,
        "dataset": None,
        "dt": dt,
        "contact": None,
        "error": f"not done at {done_by} Asia/Shanghai (run state: {state or 'no run'})",
        "log_url": f"{_ui_base()}/dags/{dag_id}",
        "quality_url": _quality_url(dt),
    }


def send(alert: dict) -> None:
    """The alert to the log, the alerts file, and each channel whose connection exists."""
    from alliance_pipeline.config import pipeline_config

    log.error("ALERT %s", json.dumps(alert, sort_keys=True))
    path = paths.path(paths.ALERTS) / "alerts.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(alert, sort_keys=True) + "\n")
    cfg = pipeline_config().alerts
    for conn_id, channel in ((cfg.email_conn_id, _mail), (cfg.slack_conn_id, _slack)):
        if not _connection_exists(conn_id):
            continue
        try:
            channel(alert, conn_id, cfg)
        except Exception as exc:  # one channel down must not silence the others
            log.error("alert channel %s failed: %s", conn_id, type(exc).__name__)


def recipients(alert: dict, on_call: str) -> list[str]:
    return list(dict.fromkeys(a for a in (alert.get("contact"), on_call) if a))


def subject(alert: dict) -> str:
    where = ".".join(p for p in (alert["dag_id"], alert["task_id"]) if p)
    batch = f" {alert['source']}/{alert['dataset']}" if alert["dataset"] else ""
    night = f" dt={alert['dt']}" if alert["dt"] else ""
    return f"[alliance] {alert['kind']}: {where}{batch}{night}"


def text(alert: dict) -> str:
    rows = [f"{k}: {alert[k]}" for k in FIELDS if alert.get(k) is not None]
    return "\n".join(
        [*rows, f"task log: {alert['log_url']}", f"data quality: {alert['quality_url']}"]
    )


def _html(alert: dict) -> str:
    rows = "".join(
        f"<tr><th align='left'>{k}</th><td>{html.escape(str(alert[k]))}</td></tr>"
        for k in FIELDS
        if alert.get(k) is not None
    )
    links = (
        f"<p><a href='{html.escape(alert['log_url'])}'>Task log</a> · "
        f"<a href='{html.escape(alert['quality_url'])}'>Data quality of the night</a></p>"
    )
    return f"<table>{rows}</table>{links}"


def _mail(alert: dict, conn_id: str, cfg) -> None:
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    SmtpNotifier(
        to=recipients(alert, cfg.on_call),
        from_email=cfg.from_email,
        subject=subject(alert),
        html_content=_html(alert),
        smtp_conn_id=conn_id,
    ).notify({})


def _slack(alert: dict, conn_id: str, cfg) -> None:
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    SlackWebhookNotifier(
        slack_webhook_conn_id=conn_id, text=f"{subject(alert)}\n{text(alert)}", timeout=10
    ).notify({})


def _connection_exists(conn_id: str) -> bool:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    return True


def _ui_base() -> str:
    from airflow.configuration import conf

    return (conf.get("api", "base_url", fallback="") or "http://localhost:8080").rstrip("/")


def _log_url(ti, dag_id: str | None, run_id: str | None) -> str:
    if ti is not None and hasattr(ti, "log_url"):
        return ti.log_url
    return f"{_ui_base()}/dags/{dag_id}/runs/{run_id}"


def _quality_url(dt: str | None) -> str:
    from alliance_pipeline.links import APP_PREFIX

    return f"{_ui_base()}{APP_PREFIX}/" + (f"?dt={dt}" if dt else "")


def _night_of(dag_run) -> str | None:
    from alliance_pipeline.tasks.nightly import night_date

    start = getattr(dag_run, "data_interval_start", None)
    conf = getattr(dag_run, "conf", None) or {}
    if start is None and not conf.get("date"):
        return None
    return night_date(start, conf)


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
