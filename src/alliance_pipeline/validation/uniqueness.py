"""The key's uniqueness across a whole delivery that is validated in chunks, found in DuckDB.

GX judges uniqueness within the frame it is given: one chunk. Here each chunk's key values, as
GX sees them (:func:`~alliance_pipeline.validation.gx_run.gx_view`), go with their row number
into a DuckDB table in a temporary folder; one GROUP BY then finds every row of a duplicated key,
and the rows of a chunk are looked up when the chunk is judged. DuckDB keeps memory under
``MEMORY_LIMIT`` and spills to that folder beyond it. (A Python set of hashed keys would hold
one entry per row, in a Python loop, and a second pass to find the first of each duplicate.)

Rows as GX counts them: every row of a key that occurs more than once; for one key column, null
keys are left out; for a compound key, rows whose key columns are all null (GX's default
``ignore_row_if``), nulls otherwise equal to each other, as pandas' ``duplicated`` has them.
A dataset with ``latest_by`` (a record re-delivered as it changes) keeps the one row of a key
latest by that timestamp: the key's other rows are *superseded*, not duplicates; only rows of a
key without one latest row (tied, or without the timestamp) are duplicates.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from alliance_pipeline.contracts import Dataset

MEMORY_LIMIT = "256MB"
SQL_TYPES = {
    "int": "DOUBLE",  # gx_view: numbers as float64
    "float": "DOUBLE",
    "money": "DOUBLE",
    "rate": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "date": "TIMESTAMP",
}


class DuplicateKeys:
    """Rows of duplicated keys; ``add`` every chunk's keys in order, ``find``, then ``rows``."""

    def __init__(self, contract: Dataset, folder: Path):
        self.names = list(contract.key)
        self.key = [f'"{c}"' for c in self.names]
        self.latest = contract.latest_by
        self.added = 0
        self.con = duckdb.connect(str(folder / "keys.duckdb"))
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.con.execute(f"SET temp_directory = '{folder / 'spill'}'")
        self.con.execute("SET preserve_insertion_order = false")
        columns = [
            f'"{c}" {SQL_TYPES.get(contract.column(c).dtype, "VARCHAR")}' for c in contract.key
        ]
        self.con.execute(f"CREATE TABLE keys ({', '.join(columns)}, _t TIMESTAMPTZ, _i BIGINT)")

    @property
    def columns(self) -> list[str]:
        """The columns :meth:`add` takes."""
        return [*self.names, *([self.latest] if self.latest else [])]

    def add(self, view: pd.DataFrame) -> None:
        """The key columns (and ``latest_by``) of the next ``len(view)`` rows, as GX sees them."""
        latest = pa.nulls(len(view), pa.timestamp("us", tz="UTC"))
        if self.latest and view[self.latest].notna().any():
            latest = pa.array(pd.to_datetime(view[self.latest], utc=True), from_pandas=True)
        chunk = pa.table(
            {
                **{c: pa.array(view[c], from_pandas=True) for c in self.names},
                "_t": latest,
                "_i": np.arange(self.added, self.added + len(view), dtype=np.int64),
            }
        )
        self.con.register("chunk", chunk)
        self.con.execute("INSERT INTO keys SELECT * FROM chunk")
        self.con.unregister("chunk")
        self.added += len(view)

    def find(self) -> int:
        """Finds the rows of duplicated keys (and superseded rows); returns how many are
        duplicates."""
        key = ", ".join(self.key)
        considered = " OR ".join(f"{c} IS NOT NULL" for c in self.key)
        # per row of a repeated key: how many rows the key has, its latest _t, how many rows
        # are at that latest _t (PARTITION BY groups nulls together, as GROUP BY does)
        self.con.execute(
            f"CREATE TABLE duplicate AS "
            f"SELECT _i, (top IS NOT NULL AND at_top = 1) AS superseded FROM ("
            f"  SELECT _i, _t, n, top, count(*) FILTER (WHERE _t = top) OVER w AS at_top"
            f"  FROM (SELECT _i, _t, {key}, count(*) OVER w AS n, max(_t) OVER w AS top"
            f"        FROM keys WHERE {considered} WINDOW w AS (PARTITION BY {key}))"
            f"  WINDOW w AS (PARTITION BY {key})"
            f") WHERE n > 1 AND NOT (top IS NOT NULL AND at_top = 1 AND _t = top)"
        )
        self.con.execute("DROP TABLE keys")
        return self.con.execute("SELECT count(*) FROM duplicate WHERE NOT superseded").fetchone()[0]

    def rows(self, start: int, stop: int, *, superseded: bool = False) -> np.ndarray:
        """Positions, counted from ``start``, of the rows in [start, stop) with a duplicated key
        (or, with ``superseded``, of the rows a later row of their key supersedes)."""
        found = self.con.execute(
            "SELECT _i - ? FROM duplicate WHERE _i >= ? AND _i < ? AND superseded = ? ORDER BY 1",
            [start, start, stop, superseded],
        ).fetchnumpy()
        return next(iter(found.values())).astype(np.int64)

    def close(self) -> None:
        self.con.close()
