"""Two months through Airflow on the DuckDB warehouse (tests/integration/test_two_nights.py).

dag.test() of alliance_nightly for the last night of October and the first night of November,
with alliance_monthly_close closing October in between, on generated deliveries in a real S3
server (SeaweedFS) with Spark in local mode; then its warehouse tasks replayed against
PostgreSQL.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from alliance_pipeline.airflow_env import airflow_env
from alliance_pipeline.generator import GeneratorConfig, run_to
from alliance_pipeline.warehouse import open_warehouse
from tests.integration.dag_runs import mart_rows, night_logical_date, run_dag

NIGHTS = (datetime.date(2026, 10, 31), datetime.date(2026, 11, 1))
CLOSE_AFTER = datetime.date(2026, 10, 31)  # October is closed on the morning of November 1st
CLOSE_RUN = datetime.datetime(2026, 11, 1, 1, 0, tzinfo=datetime.UTC)  # 09:00 Shanghai
SOURCES = ["platform", "moonbay", "tidewave", "lumen"]  # the partners holding contracts
BUCKET = "two-months-landing"
# Stamped when the close ran, so different in two runs of the same data.
RUN_STAMPS = frozenset({"run_id", "closed_at"})
# The nightly tasks that write only the lake: a replay on another warehouse reuses their outputs.
LAKE_ONLY_TASKS = frozenset(
    {
        "reference.wait_for_manifest",
        "facts.wait_for_manifest",
        "reference.validate",
        "facts.validate",
        "deidentify",
        "models",
        "write_campaign_audiences",
    }
)


def run_nights(home, warehouse_url: str, warehouse_conn: dict, replay: dict | None = None) -> dict:
    """The nights and the close, in order, against the warehouse of ``warehouse_conn``; models
    (segments, recommendations) run on the last night only, as a money backfill would. With
    ``replay`` (an earlier pass), each night runs the tasks that succeeded there and write the
    warehouse, on that pass's lake."""
    lake = replay["home"] / "lake" if replay else home / "lake"
    os.environ["ALLIANCE_LAKE_ROOT"] = str(lake)
    os.environ["AIRFLOW_CONN_ALLIANCE_WAREHOUSE"] = json.dumps(warehouse_conn)
    log = home / "task-logs.txt"
    wh = open_warehouse(warehouse_url)
    states, october = {}, None
    for night in NIGHTS:
        conf = {"date": night.isoformat(), "sources": SOURCES, "models": night == NIGHTS[-1]}
        tasks = None
        if replay:
            done = {t for (t, _), s in replay["states"][night].items() if s == "success"}
            tasks = done - LAKE_ONLY_TASKS
        states[night] = run_dag("alliance_nightly", night_logical_date(night), conf, log, tasks)
        if night == CLOSE_AFTER:
            states["close"] = run_dag(
                "alliance_monthly_close", CLOSE_RUN, {"period": "2026-10"}, log
            )
            october = period_rows(mart_rows(wh, frozenset()), "2026-10")
    marts = mart_rows(wh, frozenset())
    return {"home": home, "states": states, "october_at_close": october, "marts": marts, "wh": wh}


def postgres_connection(url: str) -> dict:
    """The Airflow connection of a PostgreSQL URL, a socket folder (``?host=/dir``) included."""
    parts = urlsplit(url)
    return {
        "conn_type": "postgres",
        "host": parse_qs(parts.query).get("host", [parts.hostname])[0],
        "port": parts.port,
        "login": parts.username,
        "password": parts.password,
        "schema": parts.path.lstrip("/"),
    }


def period_rows(marts: dict, period: str) -> dict:
    return {
        table: [r for r in marts[table] if period in r]
        for table in ("settlement_statement", "fct_settlement_line")
    }


@contextlib.contextmanager
def landing_environ(s3_endpoint):
    """The S3 landing of these nights in os.environ (restored after)."""
    saved = dict(os.environ)
    os.environ.update({"ALLIANCE_LANDING_BUCKET": BUCKET, "ALLIANCE_S3_ENDPOINT": s3_endpoint.url})
    os.environ.update(airflow_env(os.environ))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def land_and_run_on_duckdb(s3_endpoint, home: Path, smtp_sink) -> dict:
    """Generate the two nights into S3 and run them (and the close) on a DuckDB warehouse, alert
    mails going to ``smtp_sink`` (its messages of these runs under "mails")."""
    with landing_environ(s3_endpoint):
        os.environ["AIRFLOW_CONN_SMTP_ALERTS"] = smtp_sink.connection()
        smtp_sink.messages.clear()
        client = s3_endpoint.client()
        client.create_bucket(Bucket=BUCKET)
        cfg = GeneratorConfig(
            persons=240,
            days=len(NIGHTS),
            end_date=NIGHTS[-1],
            seed=23,
            sources=tuple(SOURCES),
            events_per_person_day=2.0,
            orders_per_person_day=0.08,
        )
        run_to(cfg, s3_client=client, bucket=BUCKET)
        path = str(home / "warehouse.duckdb")
        runs = run_nights(home, f"duckdb:///{path}", {"conn_type": "duckdb", "host": path})
        return {**runs, "mails": list(smtp_sink.messages)}
