"""The dialect-neutral part of the warehouse: partition replace, queries, the Warehouse API."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from alliance_pipeline.warehouse.frames import (
    Column,
    check_in_partition,
    column_from_catalog,
    conform,
    partition_values,
)
from alliance_pipeline.warehouse.sql import WarehouseError, qualified, quote, split_table

KEYS_PER_DELETE = 500
_COLUMNS_SQL = """
SELECT column_name, data_type, numeric_precision, numeric_scale
FROM information_schema.columns
WHERE table_schema = ? AND table_name = ?
ORDER BY ordinal_position
"""


class Transaction(ABC):
    """Work on one open connection inside one transaction (see Warehouse.transaction)."""

    dialect: str
    default_schema: str

    @abstractmethod
    def fetch(self, sql: str, params: Sequence | None = None) -> tuple[list[str], list[tuple]]:
        """Column names and rows of one statement."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence | None = None) -> None:
        """Run a statement (several ``;``-separated ones when ``params`` is None)."""

    @abstractmethod
    def _bulk_load(self, table: str, data: pa.Table) -> None:
        """Append ``data`` (already conformed to the table) in bulk."""

    def query(self, sql: str, params: Sequence | None = None) -> list[tuple]:
        return self.fetch(sql, params)[1]

    def columns(self, table: str) -> list[Column]:
        schema, name = split_table(table)
        rows = self.query(_COLUMNS_SQL, [schema or self.default_schema, name])
        if not rows:
            raise WarehouseError(f"{table}: no such table (run migrate() first?)")
        return [column_from_catalog(*row) for row in rows]

    def replace_partition(self, table: str, partition: dict, data: Any) -> int:
        """Delete the rows of one partition, then bulk load ``data``; returns rows loaded."""
        columns = self.columns(table)
        partition = partition_values(table, partition, columns)
        data = conform(table, data, columns)
        check_in_partition(table, data, partition)
        where = " AND ".join(f"{quote(k)} = ?" for k in partition)
        self.execute(f"DELETE FROM {qualified(table)} WHERE {where}", list(partition.values()))
        self._load(table, data)
        return data.num_rows

    def replace_since(
        self,
        table: str,
        column: str,
        start: Any,
        data: Any,
        key_columns: Sequence[str] = (),
        keys: Sequence[tuple] = (),
    ) -> int:
        """Delete the rows with ``column`` >= ``start`` and those whose ``key_columns`` equal one
        of ``keys``, then bulk load ``data``; returns rows loaded."""
        data = conform(table, data, self.columns(table))
        self.execute(f"DELETE FROM {qualified(table)} WHERE {quote(column)} >= ?", [start])
        one = "(" + " AND ".join(f"{quote(c)} = ?" for c in key_columns) + ")"
        for i in range(0, len(keys), KEYS_PER_DELETE):
            chunk = keys[i : i + KEYS_PER_DELETE]
            self.execute(
                f"DELETE FROM {qualified(table)} WHERE {' OR '.join([one] * len(chunk))}",
                [v for key in chunk for v in key],
            )
        self._load(table, data)
        return data.num_rows

    def replace_table(self, table: str, data: Any) -> int:
        """Delete every row, then bulk load ``data``; returns rows loaded."""
        data = conform(table, data, self.columns(table))
        self.execute(f"DELETE FROM {qualified(table)}")
        self._load(table, data)
        return data.num_rows

    def _load(self, table: str, data: pa.Table) -> None:
        if data.num_rows:
            self._bulk_load(qualified(table), data)


class Warehouse(ABC):
    """One warehouse database. Each call runs in its own transaction on a fresh connection."""

    dialect: str

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A transaction: committed when the block ends, rolled back if it raises."""

    @contextmanager
    def migration_lock(self) -> Generator[None]:
        """Held while migrating, so that two schedulers never migrate at once."""
        yield

    def migrate(self, directory: Path | str | None = None) -> list[str]:
        """Apply pending migrations in order; returns the applied ones as ``NNN_name``."""
        from alliance_pipeline.warehouse.migrations import migrate

        return migrate(self, directory)

    def replace_partition(self, table: str, partition: dict, data: Any) -> int:
        with self.transaction() as tx:
            return tx.replace_partition(table, partition, data)

    def replace_table(self, table: str, data: Any) -> int:
        with self.transaction() as tx:
            return tx.replace_table(table, data)

    def execute(self, sql: str, params: Sequence | None = None) -> None:
        with self.transaction() as tx:
            tx.execute(sql, params)

    def query(self, sql: str, params: Sequence | None = None) -> list[tuple]:
        with self.transaction() as tx:
            return tx.query(sql, params)

    def query_df(self, sql: str, params: Sequence | None = None):
        """The result as a pandas DataFrame (NUMERIC stays Decimal, TIMESTAMPTZ stays UTC)."""
        import pandas as pd

        with self.transaction() as tx:
            names, rows = tx.fetch(sql, params)
        return pd.DataFrame.from_records(rows, columns=names)

    def columns(self, table: str) -> list[str]:
        with self.transaction() as tx:
            return [c.name for c in tx.columns(table)]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.dialect}>"
