"""The warehouse layer against a real DuckDB file and a real PostgreSQL, same tests for both."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal

import pandas as pd
import psycopg2
import pyarrow as pa
import pytest

from alliance_pipeline.registry import load_sources
from alliance_pipeline.warehouse import (
    WarehouseError,
    open_warehouse,
    publish_dim_source,
    warehouse_from_airflow,
)
from tests.fixtures.postgres import admin_connection

pytestmark = pytest.mark.integration

D1, D2 = datetime.date(2026, 11, 23), datetime.date(2026, 11, 24)
CST = datetime.timezone(datetime.timedelta(hours=8))

FACT_SQL = """
CREATE SCHEMA IF NOT EXISTS mart;
CREATE TABLE mart.t_fact (
    dt DATE NOT NULL,
    source TEXT NOT NULL,
    order_id TEXT NOT NULL,
    amount NUMERIC(18,2) NOT NULL,
    rate NUMERIC(18,6),
    paid_at TIMESTAMPTZ,
    qty BIGINT,
    ok BOOLEAN,
    note TEXT,
    PRIMARY KEY (dt, source, order_id)
);
CREATE TABLE mart.t_other (dt DATE NOT NULL, n BIGINT NOT NULL);
"""


def facts(day: datetime.date, n: int, source: str = "moonbay", start: int = 0) -> pa.Table:
    ids = range(start, start + n)
    return pa.table(
        {
            "order_id": [f"o{i}" for i in ids],  # order differs from the table's on purpose
            "dt": pa.array([day] * n, pa.date32()),
            "source": [source] * n,
            "amount": pa.array([Decimal(i % 1000) / 100 for i in ids], pa.decimal128(18, 2)),
            "rate": pa.array([Decimal("0.123456")] * n, pa.decimal128(18, 6)),
            "paid_at": pa.array(
                [
                    datetime.datetime(2026, 11, 23, 8, 0, tzinfo=datetime.UTC)
                    + datetime.timedelta(seconds=i)
                    for i in ids
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "qty": pa.array([i for i in ids], pa.int64()),
            "ok": [i % 2 == 0 for i in ids],
            "note": pa.array(
                [None if i % 3 == 0 else "" if i % 3 == 1 else 'a,"b"\nc' for i in ids], pa.string()
            ),
        }
    )


@pytest.fixture
def wh(warehouse_url):
    w = open_warehouse(warehouse_url)
    w.migrate()
    w.execute(FACT_SQL)
    return w


def rows(wh, table="mart.t_fact"):
    return wh.query(f"SELECT * FROM {table} ORDER BY 1, 2, 3")


def test_migrate_twice_is_a_no_op(warehouse_url):
    w = open_warehouse(warehouse_url)
    first = w.migrate()
    assert first[:4] == ["001_schemas", "002_ingestion_log", "003_pipeline_run", "004_dim_source"]
    assert ("010_bi_readonly_role" in first) == (w.dialect == "postgres")
    recorded = w.query("SELECT version, checksum FROM ops.schema_migrations ORDER BY version")
    assert w.migrate() == []
    assert (
        w.query("SELECT version, checksum FROM ops.schema_migrations ORDER BY version") == recorded
    )


def test_every_mart_table_and_column_is_commented(warehouse_url):
    w = open_warehouse(warehouse_url)
    w.migrate()
    if w.dialect == "duckdb":
        sql = """
            SELECT table_name, NULL FROM duckdb_tables()
             WHERE schema_name = 'mart' AND (comment IS NULL OR comment = '')
            UNION ALL
            SELECT table_name, column_name FROM duckdb_columns()
             WHERE schema_name = 'mart' AND (comment IS NULL OR comment = '')"""
    else:
        sql = """
            SELECT c.relname, NULL FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'mart' AND c.relkind IN ('r', 'v', 'm', 'p')
               AND coalesce(obj_description(c.oid, 'pg_class'), '') = ''
            UNION ALL
            SELECT c.relname, a.attname FROM pg_attribute a
              JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'mart' AND c.relkind IN ('r', 'v', 'm', 'p')
               AND a.attnum > 0 AND NOT a.attisdropped
               AND coalesce(col_description(c.oid, a.attnum), '') = ''"""
    missing = sorted(f"mart.{t}.{c}" if c else f"mart.{t}" for t, c in w.query(sql))
    assert missing == [], f"mart objects without COMMENT ON: {missing}"


def test_replace_partition_replaces_not_appends(wh):
    assert wh.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 100)) == 100
    once = rows(wh)
    assert wh.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 100)) == 100
    assert rows(wh) == once
    wh.replace_partition("mart.t_fact", {"dt": D2}, facts(D2, 10))
    wh.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 5, start=1000))
    counts = wh.query("SELECT dt, count(*), min(order_id) FROM mart.t_fact GROUP BY dt ORDER BY dt")
    assert counts == [(D1, 5, "o1000"), (D2, 10, "o0")]
    dupes = wh.query(
        "SELECT count(*) FROM (SELECT dt, source, order_id FROM mart.t_fact"
        " GROUP BY dt, source, order_id HAVING count(*) > 1) d"
    )
    assert dupes == [(0,)]


def test_partition_of_several_columns_and_iso_date(wh):
    wh.replace_partition("mart.t_fact", {"dt": D1, "source": "moonbay"}, facts(D1, 3))
    wh.replace_partition("mart.t_fact", {"dt": D1, "source": "lumen"}, facts(D1, 4, "lumen"))
    wh.replace_partition(
        "mart.t_fact", {"dt": "2026-11-23", "source": "lumen"}, facts(D1, 2, "lumen")
    )
    assert wh.query(
        "SELECT source, count(*) FROM mart.t_fact WHERE dt = ? GROUP BY source ORDER BY source",
        [D1],
    ) == [("lumen", 2), ("moonbay", 3)]


def test_empty_data_empties_the_partition(wh):
    wh.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 3))
    assert wh.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 0)) == 0
    assert rows(wh) == []


def test_refuses_rows_outside_the_partition(wh):
    wh.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 3))
    mixed = pa.concat_tables([facts(D1, 2), facts(D2, 1, start=9)])
    with pytest.raises(WarehouseError, match=r"mart\.t_fact: data holds rows outside partition"):
        wh.replace_partition("mart.t_fact", {"dt": D1}, mixed)
    with pytest.raises(WarehouseError, match=r"mart\.t_fact: partition column 'day'"):
        wh.replace_partition("mart.t_fact", {"day": D1}, facts(D1, 2))
    assert len(rows(wh)) == 3


def test_refuses_wrong_columns_and_float_money(wh):
    with pytest.raises(WarehouseError, match=r"missing \['note'\], unknown \['remark'\]"):
        wh.replace_partition(
            "mart.t_fact",
            {"dt": D1},
            facts(D1, 2).rename_columns([*facts(D1, 2).column_names[:-1], "remark"]),
        )
    floaty = facts(D1, 2).set_column(3, "amount", pa.array([0.1, 0.2]))
    with pytest.raises(WarehouseError, match="amount is NUMERIC; pass Decimal"):
        wh.replace_partition("mart.t_fact", {"dt": D1}, floaty)
    with pytest.raises(WarehouseError, match=r"mart\.t_nope: no such table"):
        wh.replace_partition("mart.t_nope", {"dt": D1}, facts(D1, 2))


def test_failed_load_leaves_the_previous_rows(wh):
    wh.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 1000))
    before = rows(wh)
    bad = facts(D1, 120_000, start=5000)  # several COPY batches; the NULL is in the last one
    amounts = bad.column("amount").to_pylist()
    amounts[-1] = None
    bad = bad.set_column(3, "amount", pa.array(amounts, pa.decimal128(18, 2)))
    with pytest.raises(Exception, match=r"(?i)null"):
        wh.replace_partition("mart.t_fact", {"dt": D1}, bad)
    assert rows(wh) == before


def test_transaction_spans_tables(wh):
    other = pa.table({"dt": pa.array([D1], pa.date32()), "n": [1]})
    with wh.transaction() as tx:
        tx.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 3))
        tx.replace_partition("mart.t_other", {"dt": D1}, other)
    with pytest.raises(RuntimeError, match="boom"), wh.transaction() as tx:
        tx.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 7))
        tx.replace_table("mart.t_other", pa.table({"dt": pa.array([D2], pa.date32()), "n": [2]}))
        raise RuntimeError("boom")
    assert len(rows(wh)) == 3
    assert wh.query("SELECT dt, n FROM mart.t_other") == [(D1, 1)]


def test_decimals_exact_to_the_fen(wh):
    df = pd.DataFrame(
        {
            "dt": [D1, D1, D1],
            "source": ["a", "a", "a"],
            "order_id": ["x", "y", "z"],
            "amount": [Decimal("0.10"), Decimal("0.20"), Decimal("9999999999999999.99")],
            "rate": [Decimal("0.000001"), None, Decimal("1")],
            "paid_at": [None, None, None],
            "qty": [1, 2, 3],
            "ok": [True, False, None],
            "note": ["a", None, ""],
        }
    )
    assert wh.replace_partition("mart.t_fact", {"dt": D1}, df) == 3
    got = wh.query("SELECT amount, rate FROM mart.t_fact ORDER BY order_id")
    assert got == [
        (Decimal("0.10"), Decimal("0.000001")),
        (Decimal("0.20"), None),
        (Decimal("9999999999999999.99"), Decimal("1.000000")),
    ]
    assert wh.query("SELECT sum(amount) FROM mart.t_fact WHERE order_id IN (?, ?)", ["x", "y"]) == [
        (Decimal("0.30"),)
    ]
    frame = wh.query_df("SELECT amount, ok, note FROM mart.t_fact ORDER BY order_id")
    assert frame["amount"].tolist() == [
        Decimal("0.10"),
        Decimal("0.20"),
        Decimal("9999999999999999.99"),
    ]
    assert frame["ok"].tolist() == [True, False, None]
    assert frame["note"].tolist() == ["a", None, ""]


def test_timestamps_with_time_zone_round_trip(wh):
    moments = [
        datetime.datetime(2026, 11, 23, 23, 59, 59, 123456, tzinfo=CST),
        datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC),
    ]
    data = facts(D1, 2).set_column(
        5, "paid_at", pa.array(moments, pa.timestamp("us", tz="Asia/Shanghai"))
    )
    wh.replace_partition("mart.t_fact", {"dt": D1}, data)
    got = [r[0] for r in wh.query("SELECT paid_at FROM mart.t_fact ORDER BY order_id")]
    assert got == moments
    assert all(g.utcoffset() == datetime.timedelta(0) for g in got)
    assert wh.query("SELECT count(*) FROM mart.t_fact WHERE paid_at = ?", [moments[0]]) == [(1,)]


def test_strings_nulls_and_empties_survive(wh):
    wh.replace_partition("mart.t_fact", {"dt": D1}, facts(D1, 3))
    assert [r[0] for r in wh.query("SELECT note FROM mart.t_fact ORDER BY order_id")] == [
        None,
        "",
        'a,"b"\nc',
    ]


def test_bulk_load_200k_rows(wh, capsys):
    data = facts(D1, 200_000)
    started = time.perf_counter()
    assert wh.replace_partition("mart.t_fact", {"dt": D1}, data) == 200_000
    seconds = time.perf_counter() - started
    assert wh.query("SELECT count(*), sum(qty) FROM mart.t_fact") == [
        (200_000, sum(range(200_000)))
    ]
    with capsys.disabled():
        print(
            f"\n[{wh.dialect}] replace_partition 200k rows: {seconds:.2f} s, {200_000 / seconds:,.0f} rows/s"
        )


def test_publish_dim_source(warehouse_url):
    w = open_warehouse(warehouse_url)
    w.migrate()
    sources = load_sources()
    assert publish_dim_source(w) == len(sources)
    assert publish_dim_source(w, sources[:2]) == 2
    assert publish_dim_source(w) == len(sources)
    got = w.query(
        "SELECT source_id, name, kind, format, encoding, timezone, active FROM mart.dim_source ORDER BY 1"
    )
    assert got == sorted(
        (s.id, s.name, s.kind, s.format, s.encoding, s.timezone, s.active) for s in sources
    )
    assert "alert_contact" not in w.columns("mart.dim_source")


def test_warehouse_from_airflow_connection(warehouse_url, monkeypatch):
    open_warehouse(warehouse_url).migrate()
    if warehouse_url.startswith("duckdb"):
        conn = f'{{"conn_type": "duckdb", "host": "{warehouse_url[len("duckdb:///") :]}"}}'
    else:  # as the JSON form of a connection, so that a unix socket folder works as host
        parts = psycopg2.extensions.parse_dsn(warehouse_url)
        conn = json.dumps(
            {
                "conn_type": "postgres",
                "host": parts.get("host"),
                "port": int(parts.get("port", 5432)),
                "login": parts.get("user"),
                "schema": parts["dbname"],
            }
        )
    monkeypatch.setenv("AIRFLOW_CONN_ALLIANCE_WAREHOUSE", conn)
    wh = warehouse_from_airflow()
    assert wh.migrate() == []
    assert wh.query("SELECT count(*) FROM ops.ingestion_log") == [(0,)]


def test_concurrent_migrations_take_turns(fresh_pg_url):
    url = fresh_pg_url()
    results, errors = [], []

    def run():
        try:
            results.append(open_warehouse(url).migrate())
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r) for r in results)[:2] == [0, 0]
    assert max(results, key=len)[:2] == ["001_schemas", "002_ingestion_log"]


def test_bi_role_reads_marts_and_nothing_else(pg_dsn, fresh_pg_url):
    url = fresh_pg_url()
    wh = open_warehouse(url)
    wh.migrate()
    publish_dim_source(wh)
    wh.execute("CREATE TABLE mart.t_later (x INTEGER); INSERT INTO mart.t_later VALUES (1)")
    wh.execute("CREATE TABLE public.t_public (x INTEGER)")
    login = f"bi_test_{uuid.uuid4().hex[:10]}"
    admin = admin_connection(pg_dsn)
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {login} LOGIN IN ROLE alliance_bi")
    try:
        bi_url = url.replace("postgresql://postgres", f"postgresql://{login}", 1)
        bi = psycopg2.connect(bi_url)
        bi.autocommit = True
        try:
            with bi.cursor() as cur:
                cur.execute("SELECT current_user, count(*) FROM mart.dim_source")
                assert cur.fetchone() == (login, len(load_sources()))
                cur.execute("SELECT x FROM mart.t_later")  # created after the role's grants
                assert cur.fetchall() == [(1,)]
            for sql in (
                "SELECT * FROM ops.ingestion_log",
                "SELECT * FROM ops.schema_migrations",
                "SELECT * FROM public.t_public",
                "CREATE TABLE public.t_mine (x INTEGER)",
                "CREATE TABLE mart.t_mine (x INTEGER)",
                "DELETE FROM mart.dim_source",
                "INSERT INTO mart.t_later VALUES (2)",
            ):
                with bi.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(sql)
        finally:
            bi.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP ROLE IF EXISTS {login}")
        admin.close()


def test_bi_role_migration_runs_in_many_databases(pg_dsn, fresh_pg_url):
    """Roles are server-wide: a second (and third) warehouse on the same server migrates too."""
    for _ in range(3):
        assert "010_bi_readonly_role" in open_warehouse(fresh_pg_url()).migrate()


def test_duckdb_file_held_by_another_process_is_waited_for(duckdb_url):
    path = duckdb_url[len("duckdb:///") :]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, time; c = duckdb.connect(__import__('sys').argv[1]);"
            " c.execute('CREATE TABLE t (a INTEGER)'); print('held', flush=True); time.sleep(2)",
            path,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert open_warehouse(duckdb_url).query("SELECT count(*) FROM t") == [(0,)]
    finally:
        holder.wait(timeout=30)
