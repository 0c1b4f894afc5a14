"""Two months through Airflow, in both warehouses.

dag.test() of alliance_nightly for the last night of October and the first night of November,
with alliance_monthly_close closing October in between, once against the DuckDB warehouse and
once against PostgreSQL, on the same generated deliveries in a real S3 server (SeaweedFS) with
Spark in local mode. The statements, and every other mart table, are the same in both; October's
closed statements do not change when November's nights run; the BI role of the PostgreSQL
warehouse reads the marts and nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from alliance_pipeline.airflow_env import airflow_env
from alliance_pipeline.generator import GeneratorConfig, run_to
from alliance_pipeline.settlement.frames import LINE_COLUMNS, STATEMENT_COLUMNS
from alliance_pipeline.warehouse import open_warehouse
from tests.fixtures.postgres import admin_connection, fresh_database
from tests.integration.dag_runs import mart_rows, night_logical_date, run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

NIGHTS = (dt.date(2026, 10, 31), dt.date(2026, 11, 1))
CLOSE_AFTER = dt.date(2026, 10, 31)  # October is closed on the morning of November 1st
CLOSE_RUN = dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)  # 09:00 Shanghai
SOURCES = ["platform", "moonbay", "tidewave", "lumen"]  # the partners holding contracts
BUCKET = "two-months-landing"
# Stamped when the close ran, so different in two runs of the same data.
RUN_STAMPS = frozenset({"run_id", "closed_at"})


def run_nights(home, warehouse_url: str, warehouse_conn: dict) -> dict:
    """The nights and the close, in order, against the warehouse of ``warehouse_conn``; models
    (segments, recommendations) run on the last night only, as a money backfill would."""
    os.environ["ALLIANCE_LAKE_ROOT"] = str(home / "lake")
    os.environ["AIRFLOW_CONN_ALLIANCE_WAREHOUSE"] = json.dumps(warehouse_conn)
    log = home / "task-logs.txt"
    wh = open_warehouse(warehouse_url)
    states, october = {}, None
    for night in NIGHTS:
        conf = {"date": night.isoformat(), "sources": SOURCES, "models": night == NIGHTS[-1]}
        states[night] = run_dag("alliance_nightly", night_logical_date(night), conf, log)
        if night == CLOSE_AFTER:
            states["close"] = run_dag(
                "alliance_monthly_close", CLOSE_RUN, {"period": "2026-10"}, log
            )
            october = _period(mart_rows(wh, frozenset()), "2026-10")
    marts = mart_rows(wh, frozenset())
    return {"states": states, "october_at_close": october, "marts": marts, "wh": wh}


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


def _period(marts: dict, period: str) -> dict:
    return {
        table: [r for r in marts[table] if period in r]
        for table in ("settlement_statement", "fct_settlement_line")
    }


def _without(marts: dict, columns: frozenset[str], wh) -> dict:
    out = {}
    for table, rows in marts.items():
        names = sorted(wh.columns(f"mart.{table}"))
        keep = [i for i, n in enumerate(names) if n not in columns]
        out[table] = sorted((tuple(r[i] for i in keep) for r in rows), key=repr)
    return out


@pytest.fixture(scope="module")
def runs(airflow_db, s3_endpoint, pg_dsn, tmp_path_factory):
    saved = dict(os.environ)
    os.environ.update({"ALLIANCE_LANDING_BUCKET": BUCKET, "ALLIANCE_S3_ENDPOINT": s3_endpoint.url})
    os.environ.update(airflow_env(os.environ))
    try:
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
        duck_home = tmp_path_factory.mktemp("duckdb-nights")
        duck_path = str(duck_home / "warehouse.duckdb")
        duck = run_nights(
            duck_home, f"duckdb:///{duck_path}", {"conn_type": "duckdb", "host": duck_path}
        )
        with fresh_database(pg_dsn, "alliance_nights") as pg_url:
            pg_home = tmp_path_factory.mktemp("postgres-nights")
            pg = run_nights(pg_home, pg_url, postgres_connection(pg_url))
            yield {"duck": duck, "pg": pg, "pg_url": pg_url, "pg_dsn": pg_dsn}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_every_night_and_the_close_succeed(runs):
    for side in ("duck", "pg"):
        for run, states in runs[side]["states"].items():
            failed = {k: v for k, v in states.items() if v not in ("success", "skipped")}
            assert failed == {}, (side, run, failed)
    last = runs["duck"]["states"][NIGHTS[-1]]
    assert last["recommend", -1] == "success"
    assert runs["duck"]["states"][NIGHTS[0]]["recommend", -1] == "skipped"


def test_statements_identical_in_duckdb_and_postgres(runs):
    duck, pg = runs["duck"], runs["pg"]
    for table in ("settlement_statement", "fct_settlement_line"):
        d = _without({table: duck["marts"][table]}, RUN_STAMPS, duck["wh"])[table]
        p = _without({table: pg["marts"][table]}, RUN_STAMPS, pg["wh"])[table]
        assert d, table
        assert d == p, table
    heads = duck["wh"].query(
        f"SELECT {', '.join(STATEMENT_COLUMNS)} FROM mart.settlement_statement ORDER BY 1, 2, 3"
    )
    hi = STATEMENT_COLUMNS.index
    assert {h[hi("status")] for h in heads if h[hi("period")] == "2026-10"} == {"closed"}
    assert {h[hi("status")] for h in heads if h[hi("period")] == "2026-11"} == {"open"}
    lines = duck["wh"].query(f"SELECT {', '.join(LINE_COLUMNS)} FROM mart.fct_settlement_line")
    li = LINE_COLUMNS.index
    for h in heads:
        mine = [ln for ln in lines if ln[:3] == h[:3]]
        assert sum(ln[li("net_amount")] for ln in mine) == h[hi("net_amount")]
        assert sum(ln[li("partner_share")] for ln in mine) == h[hi("partner_share")]
        assert h[hi("partner_share")] + h[hi("platform_share")] == h[hi("net_amount")]
        assert isinstance(h[hi("net_amount")], Decimal)


def test_closed_october_unchanged_by_november(runs):
    for side in ("duck", "pg"):
        run = runs[side]
        assert run["october_at_close"]["settlement_statement"], side
        assert _period(run["marts"], "2026-10") == run["october_at_close"], side


def test_every_mart_identical_in_duckdb_and_postgres(runs):
    duck, pg = runs["duck"], runs["pg"]
    assert set(duck["marts"]) == set(pg["marts"])
    filled = {t for t, rows in duck["marts"].items() if rows}
    for table in ("fct_order", "person_segment", "recommendation", "dq_result", "partner_overlap"):
        assert table in filled, table
    d = _without(duck["marts"], RUN_STAMPS, duck["wh"])
    p = _without(pg["marts"], RUN_STAMPS, pg["wh"])
    assert {t: len(r) for t, r in d.items()} == {t: len(r) for t, r in p.items()}
    for table in sorted(d):
        assert d[table] == p[table], table


def test_bi_role_reads_marts_and_nothing_else(runs):
    import psycopg2

    login = f"bi_{uuid.uuid4().hex[:8]}"
    admin = admin_connection(runs["pg_dsn"])
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {login} LOGIN IN ROLE alliance_bi")
    try:
        bi = psycopg2.connect(
            runs["pg_url"].replace("postgresql://postgres", f"postgresql://{login}", 1)
        )
        bi.autocommit = True
        with bi.cursor() as cur:
            for table in runs["pg"]["marts"]:
                cur.execute(f"SELECT count(*) FROM mart.{table}")
            for table in ("ops.ingestion_log", "ops.settlement_period", "ops.person_key_rekey"):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(f"SELECT 1 FROM {table}")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("DELETE FROM mart.fct_order")
        bi.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP ROLE IF EXISTS {login}")
        admin.close()
