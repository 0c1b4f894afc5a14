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
        self.added = 0
        self.con = duckdb.connect(str(folder / "keys.duckdb"))
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.con.execute(f"SET temp_directory = '{folder / 'spill'}'")
        self.con.execute("SET preserve_insertion_order = false")
        columns = [
            f'"{c}" {SQL_TYPES.get(contract.column(c).dtype, "VARCHAR")}' for c in contract.key
        ]
        self.con.execute(f"CREATE TABLE keys ({', '.join(columns)}, _i BIGINT)")

    def add(self, view: pd.DataFrame) -> None:
        """The key columns of the next ``len(view)`` rows, as GX sees them."""
        chunk = pa.table(
            {
                **{c: pa.array(view[c], from_pandas=True) for c in self.names},
                "_i": np.arange(self.added, self.added + len(view), dtype=np.int64),
            }
        )
        self.con.register("chunk", chunk)
        self.con.execute("INSERT INTO keys SELECT * FROM chunk")
        self.con.unregister("chunk")
        self.added += len(view)

    def find(self) -> int:
        """Finds the rows of duplicated keys; returns how many."""
        key = ", ".join(self.key)
        considered = " OR ".join(f"{c} IS NOT NULL" for c in self.key)
        considered_k = " OR ".join(f"k.{c} IS NOT NULL" for c in self.key)
        matches = " AND ".join(f"k.{c} IS NOT DISTINCT FROM d.{c}" for c in self.key)
        self.con.execute(
            f"CREATE TABLE duplicate AS SELECT k._i FROM keys k JOIN ("
            f"SELECT {key} FROM keys WHERE {considered} GROUP BY ALL HAVING count(*) > 1"
            f") d ON {matches} WHERE {considered_k}"
        )
        self.con.execute("DROP TABLE keys")
        return self.con.execute("SELECT count(*) FROM duplicate").fetchone()[0]

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Positions, counted from ``start``, of the rows in [start, stop) with a duplicated key."""
        found = self.con.execute(
            "SELECT _i - ? FROM duplicate WHERE _i >= ? AND _i < ? ORDER BY 1", [start, start, stop]
        ).fetchnumpy()
        return next(iter(found.values())).astype(np.int64)

    def close(self) -> None:
        self.con.close()
