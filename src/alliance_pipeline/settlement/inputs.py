"""Reading the clean zone: every partition with dt <= the run date, snapshots at their latest dt.

The clean zone is hive-partitioned by Spark (``clean/{dataset}/dt={dt}/source={source}/``): the
files do not hold ``dt`` and ``source``, which are taken from the folder names. Every column is
conformed to its contract type: a tz-naive timestamp (Spark's old INT96) is read as UTC, decimals
are cast exactly (a cast that would round fails), a float where money is due is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alliance_pipeline.contracts import clean_columns
from alliance_pipeline.readers import ARROW_TYPES

# Datasets delivered as a full snapshot each night: only the latest dt counts.
SNAPSHOTS = ("campaigns", "catalog", "contracts")
PARTITION_COLUMNS = ("dt", "source")
DATASETS = (
    "orders",
    "events",
    "campaigns",
    "contracts",
    "fx_rates",
    "campaign_delivery",
    "catalog",
)


def clean_schema(dataset: str) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.dtype]) for c in clean_columns(dataset)])


def conform_column(column: pa.ChunkedArray, target: pa.DataType, where: str) -> pa.ChunkedArray:
    """One file column cast to its contract type; ``where`` names dataset, dt, source, column."""
    have = column.type
    if have == target:
        return column
    if pa.types.is_decimal(target) and pa.types.is_floating(have):
        raise TypeError(f"{where}: {have} where {target} is due (rule: money is never float)")
    if pa.types.is_timestamp(target) and pa.types.is_timestamp(have) and have.tz is None:
        # tz-naive instants are UTC; Spark's INT96 carries nanoseconds it never fills
        return column.cast(target, safe=False)
    try:
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise TypeError(f"{where}: cannot read {have} as {target} ({exc})") from None


def conform(
    table: pa.Table, schema: pa.Schema, dataset: str, day: dt.date, source: str
) -> pa.Table:
    """A clean file's table with exactly the contract's columns; dt and source from the path."""
    columns = []
    for field in schema:
        if field.name == "dt":
            columns.append(pa.array([day] * table.num_rows, field.type))
        elif field.name == "source":
            columns.append(pa.array([source] * table.num_rows, field.type))
        elif field.name in table.column_names:
            where = f"source {source}, dataset {dataset}, dt {day}, column {field.name}"
            columns.append(conform_column(table[field.name], field.type, where))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _partition_value(folder: Path, key: str) -> str:
    name, _, value = folder.name.partition("=")
    if name != key or not value:
        raise ValueError(f"clean zone: folder {folder} is not a {key}= partition")
    return value


def _data_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.glob("*.parquet") if not f.name.startswith(("_", ".")))


def read_clean_table(
    lake_root: Path | str, dataset: str, ds: str, latest_only: bool = False
) -> pa.Table:
    """All ``clean/{dataset}/dt=*/source=*/`` Parquet with dt <= ``ds``, conformed; with
    ``latest_only`` (snapshots), each source's latest dt only."""
    base = Path(lake_root) / "clean" / dataset
    schema = clean_schema(dataset)
    folders: dict[str, list[tuple[dt.date, Path]]] = {}
    for dt_dir in sorted(p for p in base.glob("dt=*") if p.is_dir() and p.name[3:] <= ds):
        day = dt.date.fromisoformat(_partition_value(dt_dir, "dt"))
        for src_dir in sorted(p for p in dt_dir.glob("source=*") if p.is_dir()):
            if _data_files(src_dir):
                folders.setdefault(_partition_value(src_dir, "source"), []).append((day, src_dir))
    chosen = sorted(
        (day, src, folder)
        for src, parts in folders.items()
        for day, folder in (parts[-1:] if latest_only else parts)
    )
    tables = [schema.empty_table()]
    for day, src, folder in chosen:
        for f in _data_files(folder):
            raw = pq.read_table(f, coerce_int96_timestamp_unit="us")
            tables.append(conform(raw, schema, dataset, day, src))
    return pa.concat_tables(tables)


def read_clean(
    lake_root: Path | str, dataset: str, ds: str, latest_only: bool = False
) -> pd.DataFrame:
    """:func:`read_clean_table` as pandas: decimals as Decimal, dates as date, integers with
    nulls as Python ints (never float), timestamps as UTC-aware."""
    table = read_clean_table(lake_root, dataset, ds, latest_only)
    return table.to_pandas(integer_object_nulls=True, date_as_object=True)


@dataclass(frozen=True)
class CleanInputs:
    orders: pd.DataFrame
    events: pd.DataFrame
    campaigns: pd.DataFrame
    contracts: pd.DataFrame
    fx_rates: pd.DataFrame
    campaign_delivery: pd.DataFrame
    catalog: pd.DataFrame


def load_inputs(lake_root: Path | str, ds: str) -> CleanInputs:
    dt.date.fromisoformat(ds)
    return CleanInputs(
        **{
            name: read_clean(lake_root, name, ds, latest_only=name in SNAPSHOTS)
            for name in DATASETS
        }
    )
