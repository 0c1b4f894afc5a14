"""Delivered text cells into the contract's types (a delivery is read by delivery.py, in chunks).

Formats and encodings come from the source registry: CSV in UTF-8 (with or without BOM) or GBK,
JSON Lines (UTF-8), Parquet (part_files.py reads them). Every value goes through its text form
and is parsed strictly; nothing is guessed. A cell that cannot be parsed becomes null in the
typed frame and its row is reported under a rule:

    fullwidth_digits            digits such as ``１３８`` (never converted)
    excel_scientific_notation   Excel-mangled numbers such as ``1.38001E+10`` (digits lost)
    type_<dtype>                anything else that is not a valid value of the column's type
    malformed_record            a CSV line with fewer fields than the header (a cut line)
    nul_character               a NUL character in a cell (no database stores it in text),
                                ``nul_character:extra_columns`` in a column the contract lacks

Problems that make the whole file unusable (``encoding``, ``file_unreadable``, ``file_empty``: a
CSV without even a header) are the delivery survey's ``problems``, and the policy rejects the
batch. An empty JSON Lines file is a delivery of no records (JSON Lines has no header); whether
no rows is plausible is the row-count band's business. Typed frame dtypes: string and json ->
object (str or None), int -> Int64, float -> float64, bool -> boolean, money/rate ->
``pd.ArrowDtype`` decimal128 (exact; a cell reads as a ``Decimal``), timestamp ->
datetime64[ns, UTC], date -> datetime64[ns]. :func:`to_arrow` makes the lake's types from it.

The patterns run as Arrow kernels over a column at a time (cell_text.py), and Arrow's casts
parse what they match (its ISO 8601 cast for timestamps, its decimal and integer casts), each
leaving to pandas and Python the columns and cells it cannot vouch for (see the parsers).
"""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.cell_text import StrippedText, arrow_text, has_substring
from alliance_pipeline.contracts import Dataset
from alliance_pipeline.part_files import file_frames

ARROW_TYPES = {
    "string": pa.string(),
    "json": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "money": pa.decimal128(18, 2),
    "rate": pa.decimal128(18, 6),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
}

# the characters themselves (not escapes), so that Arrow's RE2 reads the pattern as re does
FULLWIDTH = re.compile("[\uff10-\uff19\uff0b\uff0d\uff0e]")  # ruff: ignore[unraw-re-pattern]
EXCEL_SCIENTIFIC = r"^[+-]?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+$"
INT_TEXT = r"^[+-]?[0-9]+$"
FLOAT_TEXT = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
DECIMAL_TEXT = {
    "money": r"^[+-]?[0-9]{1,16}(?:\.[0-9]{1,2})?$",
    "rate": r"^[+-]?[0-9]{1,12}(?:\.[0-9]{1,6})?$",
}
TIMESTAMP_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})$"
DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False}
NS_YEARS = (1678, 2261)  # whole years a nanosecond timestamp holds, whatever the offset
WHOLE = 2**62  # rows per chunk that read a file at once


def read_file(data: bytes, fmt: str, encoding: str) -> pd.DataFrame:
    """One whole part file as a frame of text cells (``None`` for absent or empty cells);
    raises :class:`~alliance_pipeline.part_files.FileProblem`. Deliveries are read in chunks
    (:mod:`alliance_pipeline.delivery`); this reads the same way, all at once."""
    frames = list(file_frames(lambda: io.BytesIO(data), fmt, encoding, WHOLE))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def to_contract_types(raw: pd.DataFrame, dataset: Dataset) -> tuple[pd.DataFrame, dict]:
    """The typed frame (contract columns present, then extra columns as text) and row failures."""
    typed = pd.DataFrame(index=raw.index)
    failures: dict[str, np.ndarray] = {}
    if "_cut" in raw.columns:
        failures["malformed_record"] = raw["_cut"].fillna(False).to_numpy(dtype=bool)
    texts = {n: arrow_text(raw[n]) for n in raw.columns if not n.startswith("_")}
    for col in dataset.columns:
        if col.name not in raw.columns:
            continue
        values, bad = parse_column(raw[col.name], col.dtype, texts[col.name])
        typed[col.name] = values
        for rule, mask in bad.items():
            if mask.any():
                failures[f"{rule}:{col.name}"] = mask
    extra = np.zeros(len(raw), dtype=bool)
    for name in raw.columns:
        if name.startswith("_"):
            continue
        nul = has_substring(raw[name], "\x00", texts[name])
        if name in dataset.column_names:
            if nul.any():
                failures[f"nul_character:{name}"] = nul
        else:
            extra |= nul
            typed[name] = raw[name].astype(object)
    if extra.any():
        failures["nul_character:extra_columns"] = extra
    return typed, failures


def parse_column(
    text: pd.Series, dtype: str, arrow: pa.Array | None = None
) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """Parse one column of text cells (``arrow``: the same, already an Arrow array); returns
    the typed values and rule -> bad-row mask."""
    present = text.notna().to_numpy()
    s = text.astype(object).where(present, None)
    if dtype == "string":
        return s, {}
    as_str = StrippedText(s, arrow)
    if dtype == "json":
        ok = np.array([_is_json(v) for v in as_str.series], dtype=bool) | ~present  # 0 rows too
        return s.where(ok, None), {"type_json": ~ok}
    fullwidth = as_str.contains(FULLWIDTH.pattern) & present
    scientific = np.zeros(len(s), dtype=bool)
    if dtype in ("int", "money", "rate"):
        scientific = as_str.match(EXCEL_SCIENTIFIC) & present
    values, valid = _PARSERS[dtype](as_str)
    invalid = present & ~valid & ~fullwidth & ~scientific
    bad = {"fullwidth_digits": fullwidth, "excel_scientific_notation": scientific}
    bad[f"type_{dtype}"] = invalid
    keep = present & valid
    if dtype in ("money", "rate"):
        return values.where(keep, None), bad
    return values.mask(~keep), bad


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _parse_int(text: StrippedText):
    ok = text.match(INT_TEXT)
    values = pd.Series(pd.NA, index=text.index, dtype="Int64")
    if ok.any():
        parsed = _arrow_ints(text, ok)
        values[ok] = pd.to_numeric(text.series[ok]).astype("Int64") if parsed is None else parsed
    return values, ok


def _arrow_ints(text: StrippedText, ok: np.ndarray) -> np.ndarray | None:
    """The ``ok`` cells (``[+-]digits``) as int64 by Arrow's cast (which refuses a '+');
    ``None`` (pandas decides) when one does not fit in 64 bits."""
    if text.arrow is None:
        return None
    try:
        cells = pc.utf8_ltrim(text.arrow.filter(pa.array(ok)), characters="+")
        return pc.cast(cells, pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        return None


def _parse_float(text: StrippedText):
    ok = text.match(FLOAT_TEXT)
    values = pd.Series(np.nan, index=text.index, dtype="float64")
    if ok.any():
        values[ok] = pd.to_numeric(text.series[ok]).astype("float64")
    return values, ok


def _decimal(dtype: str):
    """Decimals exactly as written, held by Arrow (``pd.ArrowDtype``): no Python object a cell."""

    def parse(text: StrippedText):
        ok = text.match(DECIMAL_TEXT[dtype])
        values = _arrow_decimals(text, ok, ARROW_TYPES[dtype])
        return pd.Series(pd.arrays.ArrowExtensionArray(values), index=text.index), ok

    return parse


def _arrow_decimals(text: StrippedText, ok: np.ndarray, type_: pa.DataType) -> pa.Array:
    if text.arrow is not None:
        try:
            return pc.cast(pc.if_else(pa.array(ok), text.arrow, None), type_)
        except pa.ArrowInvalid:
            pass
    cells = [Decimal(v) if k else None for v, k in zip(text.series, ok, strict=True)]
    return pa.array(cells, type=type_)


def _parse_timestamp(text: StrippedText):
    ok = text.match(TIMESTAMP_TEXT)
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if ok.any():
        parsed = _arrow_timestamps(text, ok)
        if parsed is None:
            parsed = pd.to_datetime(text.series[ok], format="ISO8601", utc=True, errors="coerce")
        values[ok] = parsed
        ok = ok & values.notna().to_numpy()
    return values, ok


def _arrow_timestamps(text: StrippedText, ok: np.ndarray) -> pd.Series | None:
    """The ``ok`` cells parsed by Arrow's ISO 8601 cast, which reads them as pandas does;
    ``None`` (pandas decides) when a cell is not valid or its year is near the edges of what
    nanoseconds hold (Arrow would refuse the first, and might wrap the second)."""
    if text.arrow is None:
        return None
    cells = text.arrow.filter(pa.array(ok))
    years = pc.cast(pc.utf8_slice_codeunits(cells, 0, 4), pa.int32())
    if pc.min(years).as_py() < NS_YEARS[0] or pc.max(years).as_py() > NS_YEARS[1]:
        return None
    try:
        parsed = pc.cast(cells, pa.timestamp("ns", tz="UTC"))
    except pa.ArrowInvalid:
        return None
    return parsed.to_pandas().set_axis(text.index[ok])


def _parse_date(text: StrippedText):
    ok = text.match(DATE_TEXT)
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if ok.any():
        values[ok] = pd.to_datetime(text.series[ok], format="%Y-%m-%d", errors="coerce")
        ok = ok & values.notna().to_numpy()
    return values, ok


def _parse_bool(text: StrippedText):
    lowered = text.series.str.lower()
    ok = lowered.isin(BOOL_TEXT.keys()).to_numpy()
    return lowered.map(BOOL_TEXT).astype("boolean"), ok


_PARSERS = {
    "int": _parse_int,
    "float": _parse_float,
    "money": _decimal("money"),
    "rate": _decimal("rate"),
    "timestamp": _parse_timestamp,
    "date": _parse_date,
    "bool": _parse_bool,
}


def arrow_schema(dataset: Dataset, extra_columns: list[str] = ()) -> pa.Schema:
    fields = [pa.field(c.name, ARROW_TYPES[c.dtype]) for c in dataset.columns]
    return pa.schema(fields + [pa.field(name, pa.string()) for name in extra_columns])


def to_arrow(typed: pd.DataFrame, dataset: Dataset, extra_columns: list[str] = ()) -> pa.Table:
    """The lake's Arrow table: contract types (see module doc), extra columns as text."""
    schema = arrow_schema(dataset, extra_columns)
    arrays = []
    for f in schema:
        col = typed[f.name] if f.name in typed.columns else pd.Series([None] * len(typed))
        if pa.types.is_timestamp(f.type) or pa.types.is_date32(f.type):
            arr = pa.array(col, from_pandas=True)
            arrays.append(_to_date(arr) if pa.types.is_date32(f.type) else _to_ts(arr, f.type))
        else:
            arrays.append(pa.array(col, type=f.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def _to_ts(arr: pa.Array, type_: pa.DataType) -> pa.Array:
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), type_)
    return pc.cast(arr, type_, safe=False)


def _to_date(arr: pa.Array) -> pa.Array:
    if pa.types.is_date32(arr.type):
        return arr
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.date32())
    return pc.cast(pc.cast(arr, pa.timestamp("us"), safe=False), pa.date32())
