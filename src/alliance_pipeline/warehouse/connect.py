"""Open a warehouse from a URL, or from the Airflow connection ``alliance_warehouse``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode

from alliance_pipeline.settings import PROJECT_ROOT, WAREHOUSE_CONN_ID
from alliance_pipeline.warehouse.base import Warehouse
from alliance_pipeline.warehouse.sql import WarehouseError

_PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg2://")
_PG_EXTRA_KEYS = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "application_name",
)


def open_warehouse(url: str) -> Warehouse:
    """``duckdb:////abs/file.duckdb`` (``duckdb:///rel/file`` is relative to the project,
    ``duckdb:///:memory:`` in memory) or ``postgresql://user:pw@host:port/db``."""
    if url.startswith("duckdb:///"):
        from alliance_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

        path = url[len("duckdb:///") :]
        if not path:
            raise WarehouseError("duckdb URL without a path")
        if path != ":memory:" and not Path(path).is_absolute():
            path = str(PROJECT_ROOT / path)
        return DuckDBWarehouse(url, path)
    for scheme in _PG_SCHEMES:
        if url.startswith(scheme):
            from alliance_pipeline.warehouse.postgres_backend import PostgresWarehouse

            return PostgresWarehouse(url, "postgresql://" + url[len(scheme) :])
    raise WarehouseError("warehouse URL must start with duckdb:/// or postgresql://")


def warehouse_from_airflow(conn_id: str = WAREHOUSE_CONN_ID) -> Warehouse:
    """The warehouse of an Airflow connection, read when called (at task time, not parse time).

    conn_type ``duckdb``: host (or extra ``path``) is the database file.
    conn_type ``postgres``: host, port, login, password, schema (the database); extras
    sslmode, sslrootcert, sslcert, sslkey, connect_timeout, application_name are passed on.
    """
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    return open_warehouse(connection_url(conn))


def connection_url(conn) -> str:
    """The warehouse URL of an Airflow Connection object."""
    extra = conn.extra_dejson or {}
    if conn.conn_type == "duckdb":
        path = conn.host or extra.get("path")
        if not path:
            raise WarehouseError(f"connection {conn.conn_id}: duckdb needs the file path as host")
        return "duckdb:///" + path
    if conn.conn_type in ("postgres", "postgresql"):
        user = quote(conn.login or "", safe="")
        password = f":{quote(conn.password, safe='')}" if conn.password else ""
        auth = f"{user}{password}@" if user else ""
        port = f":{conn.port}" if conn.port else ""
        params = {k: extra[k] for k in _PG_EXTRA_KEYS if k in extra}
        host = conn.host or ""
        if host.startswith("/"):  # a unix socket folder goes in the query string
            params, host = {"host": host, **params}, ""
        query = urlencode(params)
        url = f"postgresql://{auth}{host}{port}/{quote(conn.schema or '', safe='')}"
        return f"{url}?{query}" if query else url
    raise WarehouseError(f"connection {conn.conn_id}: conn_type must be duckdb or postgres")
