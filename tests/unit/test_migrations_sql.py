"""SQL text helpers and warehouse URLs (no server needed)."""

from __future__ import annotations

import pytest
from airflow.sdk import Connection

from alliance_pipeline.warehouse import WarehouseError, open_warehouse
from alliance_pipeline.warehouse.connect import connection_url
from alliance_pipeline.warehouse.sql import qmark_to_format, qualified

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("SELECT '?', \"q?\" FROM t WHERE a = ?", "SELECT '?', \"q?\" FROM t WHERE a = %s"),
        ("SELECT 'it''s ?' || ?", "SELECT 'it''s ?' || %s"),
        (
            "SELECT a % 2 FROM t -- what?\nWHERE b = ?",
            "SELECT a %% 2 FROM t -- what?\nWHERE b = %s",
        ),
        ("SELECT $$ ? $$, ? /* ? */", "SELECT $$ ? $$, %s /* ? */"),
        ("SELECT 'x%'", "SELECT 'x%%'"),
    ],
)
def test_qmark_to_format(sql, expected):
    assert qmark_to_format(sql) == expected


def test_qualified_refuses_anything_but_plain_names():
    assert qualified("mart.fct_order") == '"mart"."fct_order"'
    for bad in ("mart.fct;drop", "a.b.c", 'mart."x"', ""):
        with pytest.raises(WarehouseError):
            qualified(bad)


def test_connection_urls():
    duck = Connection(conn_id="w", conn_type="duckdb", host="/data/wh.duckdb")
    assert connection_url(duck) == "duckdb:////data/wh.duckdb"
    pg = Connection(
        conn_id="w",
        conn_type="postgres",
        host="db",
        port=5432,
        login="etl",
        password="p@ss/word",
        schema="warehouse",
        extra='{"sslmode": "require", "unrelated": 1}',
    )
    assert connection_url(pg) == "postgresql://etl:p%40ss%2Fword@db:5432/warehouse?sslmode=require"
    with pytest.raises(WarehouseError, match="conn_type"):
        connection_url(Connection(conn_id="w", conn_type="mysql", host="x"))


def test_open_warehouse_urls(tmp_path):
    assert open_warehouse(f"duckdb:///{tmp_path}/w.duckdb").dialect == "duckdb"
    assert open_warehouse("duckdb:///:memory:").dialect == "duckdb"
    assert open_warehouse("postgresql://u@h:5432/d").dialect == "postgres"
    with pytest.raises(WarehouseError):
        open_warehouse("mysql://x")
