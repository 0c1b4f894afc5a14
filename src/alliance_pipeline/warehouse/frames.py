"""Shape incoming data (Arrow table or pandas DataFrame) to a target table before a bulk load."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.warehouse.sql import WarehouseError

UTC_MICROS = pa.timestamp("us", tz="UTC")

# information_schema.columns.data_type (DuckDB upper case, PostgreSQL lower case) -> Arrow
_ARROW_TYPES = {
    "varchar": pa.string(),
    "text": pa.string(),
    "character varying": pa.string(),
    "json": pa.string(),
    "jsonb": pa.string(),
    "bigint": pa.int64(),
    "integer": pa.int32(),
    "smallint": pa.int16(),
    "double": pa.float64(),
    "double precision": pa.float64(),
    "real": pa.float32(),
    "float": pa.float32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp with time zone": UTC_MICROS,
    "timestamp without time zone": pa.timestamp("us"),
    "timestamp": pa.timestamp("us"),
}


@dataclass(frozen=True)
class Column:
    name: str
    arrow_type: pa.DataType | None  # None: a type we do not convert to, passed through as is


def column_from_catalog(name: str, data_type: str, precision: Any, scale: Any) -> Column:
    kind = data_type.lower()
    if kind.startswith(("decimal", "numeric")):
        if precision is None:  # unconstrained NUMERIC
            return Column(name, None)
        return Column(name, pa.decimal128(int(precision), int(scale or 0)))
    return Column(name, _ARROW_TYPES.get(re.sub(r"\(.*\)$", "", kind)))


def to_arrow(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise WarehouseError(f"cannot load {type(data).__name__}: pass a pyarrow.Table or DataFrame")


def conform(table: str, data: Any, columns: list[Column]) -> pa.Table:
    """The data with exactly the table's columns, in the table's order, cast to its types.

    Refuses missing or extra columns and floats for NUMERIC columns (money is never a float).
    Messages name the table and column, never a value.
    """
    data = to_arrow(data)
    wanted = [c.name for c in columns]
    missing = [n for n in wanted if n not in data.column_names]
    extra = [n for n in data.column_names if n not in wanted]
    if missing or extra:
        raise WarehouseError(f"{table}: data columns differ: missing {missing}, unknown {extra}")
    arrays = []
    for col in columns:
        arr = data.column(col.name)
        target = col.arrow_type
        if target is not None and arr.type != target:
            if pa.types.is_decimal(target) and pa.types.is_floating(arr.type):
                raise WarehouseError(
                    f"{table}: column {col.name} is NUMERIC; pass Decimal values, not floats"
                )
            try:
                arr = arr.cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise WarehouseError(
                    f"{table}: column {col.name}: cannot convert {arr.type} to {target}"
                ) from None
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=wanted)


def partition_values(table: str, partition: dict, columns: list[Column]) -> dict:
    """The partition dict checked against the table; ISO date strings become dates."""
    if not partition:
        raise WarehouseError(f"{table}: empty partition; use replace_table for a full replace")
    by_name = {c.name: c for c in columns}
    values = {}
    for key, value in partition.items():
        if key not in by_name:
            raise WarehouseError(f"{table}: partition column {key!r} is not a column of the table")
        if isinstance(value, str) and by_name[key].arrow_type == pa.date32():
            value = datetime.date.fromisoformat(value)
        if value is None:
            raise WarehouseError(f"{table}: partition column {key!r} is NULL")
        values[key] = value
    return values


def check_in_partition(table: str, data: pa.Table, partition: dict) -> None:
    """Refuse data whose partition columns hold anything but the partition's values."""
    for key, value in partition.items():
        col = data.column(key)
        if not len(col):
            continue
        try:
            ok = col.null_count == 0 and pc.all(pc.equal(col, pa.scalar(value, col.type))).as_py()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
            ok = False
        if not ok:
            raise WarehouseError(
                f"{table}: data holds rows outside partition {_show(partition)} (column {key})"
            )


def _show(partition: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in partition.items())
