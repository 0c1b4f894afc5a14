"""PostgreSQL warehouse (psycopg2); bulk loads with COPY ... FROM STDIN in CSV, streamed from Arrow."""

from __future__ import annotations

import io
from collections.abc import Generator, Sequence
from contextlib import contextmanager

import psycopg2
import pyarrow as pa
import pyarrow.csv as pa_csv

from alliance_pipeline.warehouse.base import Transaction, Warehouse
from alliance_pipeline.warehouse.sql import qmark_to_format

# Any constant bigint works; every alliance migrator takes the same one.
MIGRATION_LOCK_KEY = 0x616C6C69616E6365  # "alliance"
_COPY_BATCH_ROWS = 50_000


class _CsvStream(io.RawIOBase):
    """A file-like CSV rendering of an Arrow table, produced batch by batch for COPY."""

    def __init__(self, data: pa.Table):
        self._batches = iter(_utc_wall_time(data).to_batches(max_chunksize=_COPY_BATCH_ROWS))
        self._buffer = b""
        self._options = pa_csv.WriteOptions(include_header=False)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            batch = next(self._batches, None)
            if batch is None:
                break
            sink = io.BytesIO()
            pa_csv.write_csv(batch, sink, self._options)
            self._buffer += sink.getvalue()
        size = len(self._buffer) if size < 0 else size
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk


def _utc_wall_time(data: pa.Table) -> pa.Table:
    """Zoned timestamps as naive UTC: same instants for a UTC session, and pyarrow writes
    them to CSV about 15x faster than zoned ones."""
    for i, field in enumerate(data.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            naive = data.column(i).cast(pa.timestamp(field.type.unit))
            data = data.set_column(i, field.name, naive)
    return data


class PostgresTransaction(Transaction):
    dialect = "postgres"
    default_schema = "public"

    def __init__(self, conn):
        self.conn = conn

    def _run(self, cur, sql: str, params: Sequence | None) -> None:
        if params is None:
            cur.execute(sql)
        else:
            cur.execute(qmark_to_format(sql), list(params))

    def fetch(self, sql: str, params: Sequence | None = None) -> tuple[list[str], list[tuple]]:
        with self.conn.cursor() as cur:
            self._run(cur, sql, params)
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()

    def execute(self, sql: str, params: Sequence | None = None) -> None:
        with self.conn.cursor() as cur:
            self._run(cur, sql, params)

    def _bulk_load(self, table: str, data: pa.Table) -> None:
        # CSV: an unquoted empty field is NULL, a quoted "" is the empty string; pyarrow writes
        # decimals exactly, and timestamps as UTC wall time read in the session's UTC.
        cols = ", ".join(f'"{n}"' for n in data.column_names)
        sql = f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)"
        with self.conn.cursor() as cur:
            cur.copy_expert(sql, _CsvStream(data), size=1 << 20)


class PostgresWarehouse(Warehouse):
    """A connection per transaction, in UTC."""

    dialect = "postgres"

    def __init__(self, url: str, dsn: str):
        super().__init__(url)
        self.dsn = dsn

    def _connect(self):
        return psycopg2.connect(self.dsn, options="-c TimeZone=UTC")

    @contextmanager
    def transaction(self) -> Generator[PostgresTransaction]:
        conn = self._connect()
        try:
            try:
                yield PostgresTransaction(conn)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        finally:
            conn.close()

    @contextmanager
    def migration_lock(self) -> Generator[None]:
        conn = self._connect()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
            yield
        finally:
            conn.close()  # ends the session, which releases the lock
