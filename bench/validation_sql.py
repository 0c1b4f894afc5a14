"""Validation's row checks in plain DuckDB SQL, the validate stage's single-machine baseline
(bench/night_bench.py, bench/validation_scale_bench.py).

For one delivery in the raw zone: the cells as text, the contract's types (the readers' patterns
for text formats, a cast for Parquet), the GX suite's row expectations (not null, in set, between,
unique key, column pairs) and the reference checks against the validated ids; passed rows typed
into one Parquet file, quarantined rows with their rules into another. It has no GX, row-count
band, personal-data rules, latest-version rule, survey of the file or quarantine index. GBK files are decoded (as GB18030,
like the readers) to UTF-8 first (DuckDB reads UTF-8 only), inside the timed work.
"""

from __future__ import annotations

import codecs
import datetime
import shutil
from pathlib import Path

import duckdb

from alliance_pipeline import readers
from alliance_pipeline.config import pipeline_config
from alliance_pipeline.contracts import dataset
from alliance_pipeline.lake import paths
from alliance_pipeline.registry import source
from alliance_pipeline.validation.policy import window
from alliance_pipeline.validation.references import reference_source
from alliance_pipeline.validation.suites import expectation_configs

SQL_TYPES = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "money": "DECIMAL(18,2)",
    "rate": "DECIMAL(18,6)",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "bool": "BOOLEAN",
}
TEXT_PATTERNS = {
    "int": readers.INT_TEXT,
    "float": readers.FLOAT_TEXT,
    "money": readers.DECIMAL_TEXT["money"],
    "rate": readers.DECIMAL_TEXT["rate"],
    "timestamp": readers.TIMESTAMP_TEXT,
    "date": readers.DATE_TEXT,
}


def checks(dataset_name: str, params: dict[str, str]) -> list[tuple[str, str]]:
    """(rule, SQL true for an offending row) over typed columns ``t_<name>``, the text columns
    ``<name>``, key counts ``n_<key>`` and known references ``ref_<column>``."""
    contract = dataset(dataset_name)
    out = [
        (f"type_{c.dtype}:{c.name}", f"{c.name} IS NOT NULL AND t_{c.name} IS NULL")
        for c in contract.columns
        if c.dtype in SQL_TYPES
    ]
    for cfg in expectation_configs(contract):
        kw, rule, kind = cfg["kwargs"], cfg["meta"]["rule"], cfg["type"]
        if kind.startswith("expect_table_"):
            continue
        if kind == "expect_column_values_to_be_unique":
            out.append((rule, f"t_{kw['column']} IS NOT NULL AND n_{kw['column']} > 1"))
        elif kind == "expect_compound_columns_to_be_unique":
            cols = kw["column_list"]
            present = " AND ".join(f"t_{c} IS NOT NULL" for c in cols)
            out.append((rule, f"{present} AND n__{'__'.join(cols)} > 1"))
        elif kind == "expect_column_values_to_match_regex":
            pattern = kw["regex"].replace("'", "''")
            out.append((rule, f"NOT regexp_matches(t_{kw['column']}, '{pattern}')"))
        elif kind == "expect_column_values_to_not_be_null":
            out.append((rule, f"t_{kw['column']} IS NULL"))
        elif kind == "expect_column_values_to_be_in_set":
            allowed = ", ".join(f"'{v}'" for v in kw["value_set"])
            out.append((rule, f"t_{kw['column']} NOT IN ({allowed})"))
        elif kind == "expect_column_values_to_be_between":
            col = f"t_{kw['column']}"
            bounds = []
            for op, bound in (("<", kw.get("min_value")), (">", kw.get("max_value"))):
                if isinstance(bound, dict):
                    bounds.append(f"{col} {op} TIMESTAMPTZ '{params[bound['$PARAMETER']]}'")
                elif bound is not None:
                    bounds.append(f"{col} {op} {bound}")
            out.append((rule, " OR ".join(bounds)))
        elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
            out.append((rule, f"t_{kw['column_A']} < t_{kw['column_B']}"))
        else:
            raise NotImplementedError(kind)
    out += [
        (f"ref:{col}", f"{col} IS NOT NULL AND ref_{col} IS NULL") for col in contract.references
    ]
    out += [(f"nul_character:{c.name}", f"strpos({c.name}, chr(0)) > 0") for c in contract.columns]
    if dataset_name == "orders":  # validation.rules.ROW_CHECKS
        out.append(("amount_is_quantity_x_unit_price", "t_amount <> t_quantity * t_unit_price"))
    return out


def _typed(name: str, dtype: str, text: bool) -> str:
    if dtype not in SQL_TYPES:
        return f"nullif(trim({name}), '') AS t_{name}"
    cast = f"TRY_CAST(trim({name}) AS {SQL_TYPES[dtype]})"
    if text and dtype in TEXT_PATTERNS:
        cast = (
            f"CASE WHEN regexp_full_match(trim({name}), '{TEXT_PATTERNS[dtype]}') THEN {cast} END"
        )
    return f"{cast} AS t_{name}"


def _text_files(files: list[Path], encoding: str, scratch: Path) -> list[Path]:
    if encoding.lower() in ("utf-8", "utf8"):
        return files
    out = []
    for f in files:
        target = scratch / f"{f.stem}.utf8{f.suffix}"
        with f.open("rb") as src, target.open("wb") as dst:
            reader = codecs.getreader("gb18030")(src)
            writer = codecs.getwriter("utf-8")(dst)
            shutil.copyfileobj(reader, writer, 1 << 22)
        out.append(target)
    return out


def _read(files: list[Path], fmt: str, columns: list[str]) -> str:
    names = ", ".join(f"'{f}'" for f in files)
    if fmt == "csv":
        return f"read_csv([{names}], all_varchar = true, header = true)"
    if fmt == "jsonl":
        cols = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
        return f"read_json([{names}], format = 'newline_delimited', columns = {{{cols}}})"
    return f"read_parquet([{names}])"


def validate(
    lake: Path, source_id: str, dataset_name: str, dt: str, now: datetime.datetime, out: Path
) -> dict:
    """Check the delivery of ``source_id``/``dataset_name`` for ``dt`` in ``lake``'s raw zone;
    passed and quarantined rows into ``out``."""
    src, contract = source(source_id), dataset(dataset_name)
    raw = Path(paths.raw_partition(source_id, dataset_name, dt, lake))
    files = sorted(p for p in raw.iterdir() if p.is_file() and not p.name.startswith("_"))
    out.mkdir(parents=True, exist_ok=True)
    text = src.format != "parquet"
    if text:
        files = _text_files(files, src.encoding, out)
    start, end = window(pipeline_config().validation, dt, src.timezone, now)
    params = {"window_start": start, "window_end": end, "now": now.astimezone(datetime.UTC)}
    names = [c.name for c in contract.columns]
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    source_rows = _read(files, src.format, names)
    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source_rows}").fetchall()}
    cells = ", ".join(
        f"CAST({n} AS VARCHAR) AS {n}" if n in present else f"NULL::VARCHAR AS {n}" for n in names
    )
    con.execute(
        f"CREATE TEMP TABLE delivery AS SELECT {cells}, row_number() OVER () - 1 AS _row "
        f"FROM {source_rows}"
    )
    joins, known = [], []
    for col, target in contract.references.items():
        ref_dataset, ref_column = target.split(".")
        folder = paths.path(paths.validated(ref_dataset), lake)
        ref_src = reference_source(src, ref_dataset)
        joins.append(
            f"LEFT JOIN (SELECT DISTINCT {ref_column} AS id FROM read_parquet("
            f"'{folder}/dt=*/source={ref_src}/*.parquet', hive_partitioning = true) "
            f"WHERE dt <= '{dt}') ref_{col} ON d.{col} = ref_{col}.id"
        )
        known.append(f"ref_{col}.id AS ref_{col}")
    typed = [_typed(c.name, c.dtype, text) for c in contract.columns]
    typed += [f"count({k}) OVER (PARTITION BY {k}) AS n_{k}" for k in contract.key]
    if len(contract.key) > 1:
        key = ", ".join(contract.key)
        typed.append(f"count(*) OVER (PARTITION BY {key}) AS n__{'__'.join(contract.key)}")
    found = checks(dataset_name, {k: v.isoformat() for k, v in params.items()})
    flags = ", ".join(f"coalesce({sql}, false) AS f{i}" for i, (_, sql) in enumerate(found))
    rules = ", ".join(f"CASE WHEN f{i} THEN '{rule}' END" for i, (rule, _) in enumerate(found))
    con.execute(
        f"CREATE TEMP TABLE checked AS SELECT *, concat_ws(';', {rules}) AS _rules FROM "
        f"(SELECT d.*, {', '.join(typed + known)} FROM delivery d {' '.join(joins)}) typed_rows, "
        f"LATERAL (SELECT {flags})"
    )
    typed_out = ", ".join(f"t_{n} AS {n}" for n in names)
    con.execute(
        f"COPY (SELECT {typed_out} FROM checked WHERE _rules = '') TO '{out}/passed.parquet'"
    )
    con.execute(
        f"COPY (SELECT _row, {', '.join(names)}, _rules FROM checked WHERE _rules <> '') "
        f"TO '{out}/quarantine.parquet'"
    )
    rows, passed = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE _rules = '') FROM checked"
    ).fetchone()
    return {"rows_in": rows, "rows_passed": passed, "rows_quarantined": rows - passed}
