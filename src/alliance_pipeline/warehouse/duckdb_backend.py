"""DuckDB warehouse: a local file (the default) or ``:memory:``; bulk loads straight from Arrow."""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import duckdb
import pyarrow as pa
from airflow.providers.duckdb.hooks.duckdb import DuckDBHook

from alliance_pipeline.warehouse.base import Transaction, Warehouse

_LOAD_VIEW = "_alliance_load"


class DuckDBTransaction(Transaction):
    dialect = "duckdb"
    default_schema = "main"

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def fetch(self, sql: str, params: Sequence | None = None) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql, params)
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()

    def execute(self, sql: str, params: Sequence | None = None) -> None:
        self.con.execute(sql, params)

    def _bulk_load(self, table: str, data: pa.Table) -> None:
        cols = ", ".join(f'"{n}"' for n in data.column_names)
        self.con.register(_LOAD_VIEW, data)
        self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {_LOAD_VIEW}")
        self.con.unregister(_LOAD_VIEW)  # on failure the connection is discarded instead


class WarehouseDuckDBHook(DuckDBHook):
    """DuckDBHook on the Connection object it is given (the provider's looks one up by id)."""

    @cached_property
    def airflow_connection(self):
        return self.connection


class DuckDBWarehouse(Warehouse):
    """A connection is opened per transaction, so the file is not locked between calls.

    Another process holding the file's write lock is waited for up to ``lock_timeout_s``.
    """

    dialect = "duckdb"

    def __init__(self, hook: DuckDBHook, lock_timeout_s: float = 120.0):
        self.hook = hook
        self.lock_timeout_s = lock_timeout_s
        path = hook.get_database()
        self._memory = hook.get_conn() if path == ":memory:" else None
        if self._memory is None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self._memory is not None:
            return self._memory.cursor()
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            try:
                return self.hook.get_conn()
            except duckdb.IOException as err:
                if "lock" not in str(err).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    @contextmanager
    def transaction(self) -> Generator[DuckDBTransaction]:
        con = self._connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.begin()
            try:
                yield DuckDBTransaction(con)
            except BaseException:
                con.rollback()
                raise
            con.commit()
        finally:
            con.close()
