"""Two months through Airflow, in both warehouses.

dag.test() of alliance_nightly for the last night of October and the first night of November,
with alliance_monthly_close closing October in between, against the DuckDB warehouse, on
generated deliveries in a real S3 server (SeaweedFS) with Spark in local mode; then the same runs
against PostgreSQL, only the tasks that write the warehouse, on the lake the first pass left
(validation and the Spark jobs write only the lake: their outputs serve both warehouses). The
statements, and every other mart table, are the same in both; October's closed statements do
not change when November's nights run; the BI role of the PostgreSQL warehouse reads the marts
and nothing else.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from alliance_pipeline.settlement.frames import LINE_COLUMNS, STATEMENT_COLUMNS
from tests.fixtures.postgres import admin_connection, fresh_database
from tests.integration.two_nights import (
    LAKE_ONLY_TASKS,
    NIGHTS,
    RUN_STAMPS,
    landing_environ,
    period_rows,
    postgres_connection,
    run_nights,
)

pytestmark = [pytest.mark.e2e, pytest.mark.spark]


def _without(marts: dict, columns: frozenset[str], wh) -> dict:
    out = {}
    for table, rows in marts.items():
        names = sorted(wh.columns(f"mart.{table}"))
        keep = [i for i, n in enumerate(names) if n not in columns]
        out[table] = sorted((tuple(r[i] for i in keep) for r in rows), key=repr)
    return out


@pytest.fixture(scope="module")
def runs(duckdb_nights, s3_endpoint, pg_dsn, tmp_path_factory):
    with landing_environ(s3_endpoint), fresh_database(pg_dsn, "alliance_nights") as pg_url:
        pg_home = tmp_path_factory.mktemp("postgres-nights")
        pg = run_nights(pg_home, pg_url, postgres_connection(pg_url), replay=duckdb_nights)
        yield {"duck": duckdb_nights, "pg": pg, "pg_url": pg_url, "pg_dsn": pg_dsn}


def test_every_night_and_the_close_succeed(runs):
    for side in ("duck", "pg"):
        for run, states in runs[side]["states"].items():
            failed = {k: v for k, v in states.items() if v not in ("success", "skipped")}
            assert failed == {}, (side, run, failed)
    last = runs["duck"]["states"][NIGHTS[-1]]
    assert last["recommend", -1] == "success"
    assert runs["duck"]["states"][NIGHTS[0]]["recommend", -1] == "skipped"
    replayed = runs["pg"]["states"][NIGHTS[-1]]
    assert replayed["publish_recommendations", -1] == replayed["settle", -1] == "success"
    assert not {t for t, _ in replayed} & LAKE_ONLY_TASKS
    assert replayed["facts.ingest", 0] == "success"  # ops.ingestion_log in PostgreSQL too


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
        assert period_rows(run["marts"], "2026-10") == run["october_at_close"], side


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
