"""pyarrow readers of hive-partitioned lake datasets, for the tasks that run outside Spark.

Files written by Spark's ``partitionBy`` hold no partition columns (``dt``, ``source``,
``run_date``): they are recovered from the folder names, ``dt``/``run_date`` as dates and every
other key as text. A tz-naive timestamp (Spark's INT96, written before timestamps became
TIMESTAMP_MICROS) is a UTC instant and is read as ``timestamp[us, tz=UTC]``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

DATE_KEYS = ("dt", "run_date")
UTC_MICROS = pa.timestamp("us", tz="UTC")


def _field(f: pa.Field) -> pa.Field:
    if pa.types.is_timestamp(f.type) and f.type.tz is None:
        return pa.field(f.name, UTC_MICROS)
    return f


def _schema(folder: Path) -> pa.Schema:
    """Every file's columns (first type seen wins, naive timestamps as UTC) plus the partition
    keys below ``folder`` as text."""
    found = pads.dataset(folder, format="parquet", partitioning="hive")
    fields: dict[str, pa.Field] = {}
    for fragment in found.get_fragments():
        for f in fragment.physical_schema:
            fields.setdefault(f.name, _field(f))
    for key in found.schema.names:  # the file columns, then the keys found in folder names
        if key not in fields:
            fields[key] = pa.field(key, pa.string())
    return pa.schema(list(fields.values()))


def read_partition(
    dataset_root: Path | str, columns: list[str] | None = None, **keys
) -> pd.DataFrame:
    """The rows under ``dataset_root/k1=v1/k2=v2...`` (``keys`` in folder order), with the given
    keys and any deeper partition keys as columns. ``columns``: only these (plus nothing else).
    Raises FileNotFoundError naming the folder when the partition does not exist."""
    folder = Path(dataset_root).joinpath(*(f"{k}={v}" for k, v in keys.items()))
    if not folder.is_dir():
        raise FileNotFoundError(f"lake partition {folder} missing")
    schema = _schema(folder)
    table = pads.dataset(folder, format="parquet", partitioning="hive", schema=schema).to_table()
    for key, value in keys.items():
        if key not in table.column_names:  # files written before partitionBy may hold it
            table = table.append_column(key, pa.array([str(value)] * table.num_rows, pa.string()))
    for key in DATE_KEYS:
        if key in table.column_names:
            i = table.column_names.index(key)
            table = table.set_column(i, key, pc.cast(table[key], pa.date32()))
    if columns is not None:
        table = table.select(columns)
    return table.to_pandas()
