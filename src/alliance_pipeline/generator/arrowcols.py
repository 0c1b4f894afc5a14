"""Typed Arrow columns from numpy values: the contract's types (see contracts module docstring)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

US_PER_DAY = 86_400_000_000
MONEY = pa.decimal128(18, 2)
RATE = pa.decimal128(18, 6)


def arrow_type(dtype: str, tz: str) -> pa.DataType:
    """The Parquet/Arrow type of a contract dtype (timestamps in the source's timezone)."""
    return {
        "string": pa.string(),
        "json": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz=tz),
        "money": MONEY,
        "rate": RATE,
    }[dtype]


def _validity(mask: np.ndarray | None, n: int):
    if mask is None or mask.all():
        return None, 0
    return pa.py_buffer(np.packbits(mask, bitorder="little").tobytes()), int(n - mask.sum())


def decimal(units: np.ndarray, dtype: pa.DataType, valid: np.ndarray | None = None) -> pa.Array:
    """Decimal column from integer minor units (fen for money, millionths for rates)."""
    units = np.asarray(units, dtype=np.int64)
    words = np.stack([units, np.where(units < 0, -1, 0)], axis=1).astype("<i8")
    bitmap, nulls = _validity(valid, len(units))
    return pa.Array.from_buffers(
        dtype, len(units), [bitmap, pa.py_buffer(words.tobytes())], null_count=nulls
    )


def money(fen: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return decimal(fen, MONEY, valid)


def timestamps(us: np.ndarray, tz: str, valid: np.ndarray | None = None) -> pa.Array:
    """Timestamp column from UTC epoch microseconds, labelled with the source's timezone."""
    arr = pa.array(np.asarray(us, dtype=np.int64), mask=None if valid is None else ~valid)
    return arr.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz=tz))


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(np.asarray(days, dtype=np.int32), mask=None if valid is None else ~valid)
    return arr.cast(pa.date32())


def take(values: pa.Array, idx: np.ndarray) -> pa.Array:
    """values[idx], null where idx < 0."""
    idx = np.asarray(idx, dtype=np.int64)
    neg = idx < 0
    if neg.any():
        return values.take(pa.array(np.where(neg, 0, idx), mask=neg))
    return values.take(pa.array(idx))


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded numbers, e.g. ids("E", [7], 6) -> "E000007"."""
    text = pc.utf8_lpad(pa.array(np.asarray(numbers, np.int64)).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")
