"""Alerts reach people: mails through a real SMTP server (aiosmtpd on loopback), Slack posts
through a webhook on loopback, and alliance_night_watch warning about a night not done."""

from __future__ import annotations

import datetime
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from alliance_pipeline import alerts
from alliance_pipeline.airflow_env import airflow_env
from alliance_pipeline.config import pipeline_config
from alliance_pipeline.registry import source
from tests.fixtures.ports import free_port
from tests.integration.dag_runs import run_dag

pytestmark = pytest.mark.integration

ON_CALL = pipeline_config().alerts.on_call


@pytest.fixture
def environ(tmp_path, smtp_sink, monkeypatch):
    """A lake under tmp_path and the SMTP alert connection to smtp_sink."""
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("ALLIANCE_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    for key, value in airflow_env(os.environ).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_sink.connection())
    smtp_sink.messages.clear()
    return tmp_path


class Task:
    """What a failed mapped delivery task hands its callback (the task runner's fields)."""

    dag_id, task_id, map_index, try_number = "alliance_nightly", "facts.validate", 3, 1
    rendered_map_index = "moonbay/orders"
    log_url = "http://localhost:8080/dags/alliance_nightly/runs/r1/tasks/facts.validate/mapped/3"


class Run:
    dag_id, run_id, conf = "alliance_nightly", "r1", {"date": "2026-11-23"}
    data_interval_start = datetime.datetime(2026, 11, 22, 18, 30, tzinfo=datetime.UTC)


def test_a_failed_delivery_mails_its_source_contact_and_on_call(environ, smtp_sink):
    error = "moonbay/orders dt=2026-11-23: batch rejected: missing_required_column (currency)"
    alerts.AllianceAlertNotifier().notify({"ti": Task(), "dag_run": Run(), "exception": error})

    [mail] = smtp_sink.messages
    assert sorted(mail.to) == sorted([source("moonbay").alert_contact, ON_CALL])
    assert mail.subject == (
        "[alliance] task failed: alliance_nightly.facts.validate moonbay/orders dt=2026-11-23"
    )
    assert "missing_required_column" in mail.body and Task.log_url in mail.body
    assert "/alliance-dq/?dt=2026-11-23" in mail.body
    line = (environ / "lake" / "reports" / "alerts" / "alerts.jsonl").read_text().splitlines()
    assert json.loads(line[-1])["contact"] == source("moonbay").alert_contact


def test_no_connection_no_mail_but_the_alerts_file(environ, smtp_sink, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_ALERTS")
    alerts.AllianceAlertNotifier().notify({"ti": Task(), "dag_run": Run(), "exception": "x"})
    assert smtp_sink.messages == []
    assert (environ / "lake" / "reports" / "alerts" / "alerts.jsonl").exists()


def test_a_slack_webhook_gets_the_alert_and_a_dead_channel_does_not_stop_the_mail(
    environ, smtp_sink, monkeypatch
):
    posts: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/services/T0/B0/X"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLACK_ALERTS", json.dumps({"conn_type": "slackwebhook", "password": url})
    )
    try:
        alerts.AllianceAlertNotifier().notify({"ti": Task(), "dag_run": Run(), "exception": "x"})
    finally:
        server.shutdown()
        server.server_close()
    [post] = posts
    assert post["text"].startswith("[alliance] task failed: alliance_nightly.facts.validate")
    assert len(smtp_sink.messages) == 1

    monkeypatch.setenv(
        "AIRFLOW_CONN_SLACK_ALERTS", json.dumps({"conn_type": "slackwebhook", "password": url})
    )
    smtp_sink.messages.clear()
    alerts.AllianceAlertNotifier().notify({"ti": Task(), "dag_run": Run(), "exception": "x"})
    assert len(smtp_sink.messages) == 1  # the webhook is down now: the mail still went


def test_the_night_watch_warns_on_call_when_the_night_is_not_done(airflow_db, environ, smtp_sink):
    from alliance_pipeline.warehouse import open_warehouse

    wh = open_warehouse(f"duckdb:///{environ / 'warehouse.duckdb'}")
    wh.migrate()
    watch_run = datetime.datetime(2026, 11, 23, 22, 30, tzinfo=datetime.UTC)  # 06:30 the 24th
    states = run_dag("alliance_night_watch", watch_run, {}, environ / "logs.txt")
    assert set(states.values()) == {"success"}
    [mail] = smtp_sink.messages
    assert mail.to == [ON_CALL]
    assert mail.subject == "[alliance] night late: alliance_nightly dt=2026-11-23"

    wh.execute(
        "INSERT INTO mart.pipeline_run (run_id, dag_id, dt, state) "
        "VALUES ('r1', 'alliance_nightly', DATE '2026-11-23', 'success')"
    )
    smtp_sink.messages.clear()
    run_dag("alliance_night_watch", watch_run, {}, environ / "logs.txt")
    assert smtp_sink.messages == []
