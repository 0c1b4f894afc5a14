"""Writing one batch's outputs: passed rows to validated/, the rest to quarantine/.

Both partitions are replaced on every run: built in a hidden sibling folder, then swapped in by
rename, so that a killed run leaves the previous partition whole (readers skip dot-folders).
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

from alliance_pipeline.lake.arrow_io import replacing
from alliance_pipeline.lake.paths import quarantine_partition, validated_partition

ROWS_FILE = "rows.parquet"
BATCH_FILE = "_batch.json"


def write_validated(table: pa.Table | None, source: str, dataset: str, dt: str) -> Path:
    """Replace the validated partition (left empty when the batch was rejected)."""
    path = validated_partition(source, dataset, dt)
    if table is None:
        shutil.rmtree(path, ignore_errors=True)
        return path
    with replacing(path) as staging:
        pq.write_table(table, staging / "part-00000.parquet")
    return path


def write_quarantine(
    raw: pd.DataFrame,
    rules: pd.Series,
    source: str,
    dataset: str,
    dt: str,
    *,
    batch: dict | None = None,
    raw_files: list[Path] = (),
) -> Path:
    """Replace the quarantine partition with the rows of ``raw`` that ``rules`` names."""
    path = quarantine_partition(source, dataset, dt)
    if not len(raw) and batch is None:
        shutil.rmtree(path, ignore_errors=True)
        return path
    with replacing(path) as staging:
        if len(raw):
            rows = raw.drop(columns=[c for c in ("_cut",) if c in raw.columns]).copy()
            rows["_rules"] = rules.to_numpy()
            table = pa.Table.from_pandas(rows.astype(object), preserve_index=False)
            pq.write_table(table, staging / ROWS_FILE)
        if batch is not None:
            (staging / BATCH_FILE).write_text(json.dumps(batch, indent=2, sort_keys=True))
            for f in raw_files:
                (staging / "files").mkdir(exist_ok=True)
                shutil.copy2(f, staging / "files" / f.name)
    return path
