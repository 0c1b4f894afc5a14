"""Writing one batch's outputs: passed rows to validated/, the rest to quarantine/.

Both partitions are replaced on every run: built chunk by chunk in a hidden sibling folder, then
swapped in by rename, so that a killed run leaves the previous partition whole (readers skip
dot-folders).
Quarantined rows keep their delivered text (plus ``_file``, ``_row`` and ``_rules``, the
';'-joined rules they broke); a rejected batch also gets ``_batch.json`` and, when a file could
not be read, a copy of the delivered files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alliance_pipeline.lake.arrow_io import StagedPartition
from alliance_pipeline.lake.paths import quarantine_partition, validated_partition

ROWS_FILE = "rows.parquet"
BATCH_FILE = "_batch.json"


class ParquetRows:
    """One Parquet file written a table at a time; made on the first table."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path, self.schema = path, schema
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class ValidatedOutput:
    """The validated partition of a batch, written chunk by chunk (typed by the contract)."""

    def __init__(self, source: str, dataset: str, dt: str, schema: pa.Schema):
        self.partition = StagedPartition(validated_partition(source, dataset, dt))
        self.rows = ParquetRows(self.partition.staging / "part-00000.parquet", schema)

    def write(self, table: pa.Table) -> None:
        self.rows.write(table)

    def commit(self) -> Path:
        if self.rows.writer is None:  # no row passed: an empty file, as for any batch
            self.rows.write(self.rows.schema.empty_table())
        self.rows.close()
        return self.partition.commit()

    def discard(self) -> None:
        self.rows.close()
        self.partition.discard()

    def remove(self) -> Path:
        """A rejected batch leaves no validated partition."""
        self.rows.close()
        return self.partition.remove()


class QuarantineOutput:
    """The quarantine partition of a batch: rows as delivered (text, plus ``_file``, ``_row``
    and ``_rules``) written chunk by chunk; a rejected batch's ``_batch.json`` and files."""

    def __init__(self, source: str, dataset: str, dt: str, raw_columns: list[str]):
        self.partition = StagedPartition(quarantine_partition(source, dataset, dt))
        fields = [pa.field(c, pa.int64() if c == "_row" else pa.string()) for c in raw_columns]
        self.schema = pa.schema([*fields, pa.field("_rules", pa.string())])
        self.rows = ParquetRows(self.partition.staging / ROWS_FILE, self.schema)

    def write(self, raw: pd.DataFrame, rules: pd.Series) -> None:
        if not len(raw):
            return
        rows = raw[[f.name for f in self.schema if f.name != "_rules"]].astype(object)
        rows["_rules"] = rules.to_numpy()
        self.rows.write(pa.Table.from_pandas(rows, schema=self.schema, preserve_index=False))

    def finish(self, batch: dict | None = None, raw_files: list[Path] = ()) -> Path:
        """Swap the partition in (or remove it: no row and no rejected batch)."""
        self.rows.close()
        if not self.rows.rows and batch is None:
            return self.partition.remove()
        if batch is not None:
            staging = self.partition.staging
            (staging / BATCH_FILE).write_text(json.dumps(batch, indent=2, sort_keys=True))
            for f in raw_files:
                (staging / "files").mkdir(exist_ok=True)
                shutil.copy2(f, staging / "files" / f.name)
        return self.partition.commit()

    def discard(self) -> None:
        self.rows.close()
        self.partition.discard()
