"""Open a warehouse from the Airflow connection ``alliance_warehouse``, or from a URL, through
the duckdb and postgres providers' hooks."""

from __future__ import annotations

from pathlib import Path

from alliance_pipeline.settings import PROJECT_ROOT, WAREHOUSE_CONN_ID
from alliance_pipeline.warehouse.base import Warehouse
from alliance_pipeline.warehouse.sql import WarehouseError


def open_warehouse(url: str) -> Warehouse:
    """``duckdb:////abs/file.duckdb`` (``duckdb:///rel/file`` is relative to the project,
    ``duckdb:///:memory:`` in memory) or ``postgresql://user:pw@host:port/db?sslmode=...``."""
    from airflow.sdk import Connection

    if url.startswith("duckdb:///"):
        conn = Connection(conn_id="warehouse", conn_type="duckdb", host=url[len("duckdb:///") :])
    elif url.startswith(("postgresql://", "postgres://")):
        conn = Connection.from_uri(url, conn_id="warehouse")
    else:
        raise WarehouseError("warehouse URL must start with duckdb:/// or postgresql://")
    return warehouse_of(conn)


def warehouse_from_airflow(conn_id: str = WAREHOUSE_CONN_ID) -> Warehouse:
    """The warehouse of an Airflow connection, read when called (at task time, not parse time)."""
    from airflow.sdk import BaseHook

    return warehouse_of(BaseHook.get_connection(conn_id))


def warehouse_of(conn) -> Warehouse:
    """The warehouse of an Airflow Connection object.

    conn_type ``duckdb``: host (or extra ``database``) is the database file, relative to the
    project unless absolute; the other extras are DuckDBHook's (``memory_limit``, ``threads``...).
    conn_type ``postgres``: host, port, login, password, schema (the database), as PostgresHook
    reads them; extras such as sslmode or connect_timeout go to libpq.
    """
    if conn.conn_type == "duckdb":
        from alliance_pipeline.warehouse.duckdb_backend import DuckDBWarehouse, WarehouseDuckDBHook

        if not (conn.host or conn.extra_dejson.get("database")):
            raise WarehouseError(f"connection {conn.conn_id}: duckdb needs the file path as host")
        hook = WarehouseDuckDBHook(connection=conn)
        database = hook.get_database()
        if database != ":memory:" and not Path(database).is_absolute():
            hook.database = str(PROJECT_ROOT / database)
        return DuckDBWarehouse(hook)
    if conn.conn_type in ("postgres", "postgresql"):
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        from alliance_pipeline.warehouse.postgres_backend import PostgresWarehouse

        return PostgresWarehouse(PostgresHook(connection=conn, options="-c TimeZone=UTC"))
    raise WarehouseError(f"connection {conn.conn_id}: conn_type must be duckdb or postgres")
