"""Running a committed GX suite on one typed frame, with GX Core as the engine.

Cost model (profiled with cProfile on 100k-1M rows, see bench/results/validation.md):

- One ephemeral GX context per process, created on first use (at task time, never at import)
  and reused for every batch the process validates: one pandas data source, one dataframe
  asset, one whole-dataframe batch definition.
- GX sees a *view* of the typed frame (:func:`gx_view`): money and rates as float64, integers
  as float64, e-mails trimmed and lowercased. Object columns of ``Decimal`` or nullable
  ``Int64`` make GX fall back to a Python call per cell, and Decimals in results cost a stack
  inspection per value when serialised. The validated output keeps its decimals: the view is
  only checked, never written.
- Pass 1 runs the whole suite with ``BOOLEAN_ONLY``. Pass 2 runs only the expectations that
  failed, with ``COMPLETE`` (counts, observed values, row positions). A clean batch pays for
  one pass; what a passing expectation observed is known without GX's details (0 unexpected
  rows; all columns present; the frame's row count).
- GX's per-batch fingerprint (an md5 over every cell of the frame) is switched off: it is
  batch metadata we never use and it cost more than all the checks together.

Every cell value is scrubbed from the results before they reach data docs, dq results or
messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.contracts import Dataset

# Keys of a GX result that carry cell values (personal data in users, ids elsewhere).
VALUE_KEYS = (
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "partial_unexpected_index_list",
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_index_query",
    "unexpected_rows",
    "details",
)
PASS_FORMAT = {"result_format": "BOOLEAN_ONLY"}
ROWS_FORMAT = {
    "result_format": "COMPLETE",
    "partial_unexpected_count": 0,
    "return_unexpected_index_query": False,
}
FLOAT_DTYPES = ("money", "rate", "int")

_GX: dict = {}  # this process's context and batch definition, made on first use


@dataclass
class Outcome:
    """One expectation's result, free of cell values."""

    rule: str
    severity: str  # critical | row | info
    expectation: str  # GX type, or the pandas / reader check
    passed: bool
    observed_value: str
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # positions
    unexpected: int | None = None  # rows counted as unexpected; None: not a count (table, error)
    affected: int | None = None  # rows affected, where there are no positions (a whole delivery)

    @property
    def rows_affected(self) -> int:
        return len(self.rows) if self.affected is None else self.affected


def gx_view(typed: pd.DataFrame, contract: Dataset) -> pd.DataFrame:
    """What GX checks: the contract's columns (no other: a delivered name may be a value, and
    GX results reach data docs), numbers as float64, e-mails normalised, one consolidated frame.

    Float comparisons keep the order of the decimals they come from (rounding is monotonic,
    and two-decimal amounts below 9e13 map to distinct floats), so ranges and column pairs
    judge the same rows as they would on the decimals.
    """
    columns = {}
    for name in typed.columns:
        if name not in contract.column_names:
            continue
        values = typed[name]
        col = contract.column(name)
        if col.dtype in FLOAT_DTYPES:
            values = _floats(values)
        elif col.format == "email":
            values = normalise_email(values)
        columns[name] = values
    return pd.DataFrame(columns, index=pd.RangeIndex(len(typed)))


def _floats(values: pd.Series) -> pd.Series:
    """float64 (nulls NaN); a decimal is read from its text, as ``float(Decimal)`` rounds it
    (Arrow's direct cast from decimal is not always the nearest float)."""
    if isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_decimal(values.dtype.pyarrow_dtype):
        text = pc.cast(pa.array(values), pa.string())
        floats = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        return pd.Series(floats, index=values.index, dtype="float64")
    return values.astype("float64")


def normalise_email(values: pd.Series) -> pd.Series:
    """Trimmed and lowercased (nulls stay null), as de-identification reads an e-mail."""
    return values.where(values.isna(), values.astype(str).str.strip().str.lower())


def run_suite(frame: pd.DataFrame, suite, parameters: dict) -> tuple[list[Outcome], dict]:
    """Validate ``frame`` (a :func:`gx_view`, RangeIndex) against ``suite``.

    Returns the outcomes and the scrubbed GX suite result as a JSON dict (for data docs).
    """
    from great_expectations.core import ExpectationSuite

    result = _validate(frame, suite, parameters, PASS_FORMAT)
    detail = {
        _rule(r)
        for r in result.results
        if not r.success and not (r.exception_info or {}).get("raised_exception")
    }
    if detail:
        subset = ExpectationSuite(
            name=suite.name,
            expectations=[e for e in suite.expectations if e.meta["rule"] in detail],
        )
        detailed = {_rule(r): r for r in _validate(frame, subset, parameters, ROWS_FORMAT).results}
        result.results = [detailed.get(_rule(r), r) for r in result.results]
    outcomes = [_outcome(r, len(frame)) for r in result.results]
    for r in result.results:
        scrub(r.result)
    return outcomes, result.to_json_dict()


def _rule(r) -> str:
    return (r.expectation_config.meta or {}).get("rule", r.expectation_config.type)


def _validate(frame: pd.DataFrame, suite, parameters: dict, result_format: dict):
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(
        batch_definition=_batch_definition(),
        result_format=dict(result_format),
        batch_parameters={"dataframe": frame},
    )
    return validator.validate_expectation_suite(suite, expectation_parameters=parameters)


def context():
    """This process's GX context (ephemeral), created on first use."""
    if not _GX:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        pandas_execution_engine.HASH_THRESHOLD = 0  # no per-batch md5 fingerprint
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        _GX["context"] = ctx
        _GX["batches"] = (
            ctx.data_sources.add_pandas("alliance")
            .add_dataframe_asset("batch")
            .add_batch_definition_whole_dataframe("whole")
        )
    return _GX["context"]


def _batch_definition():
    context()
    return _GX["batches"]


def scrub(result: dict) -> dict:
    for key in VALUE_KEYS:
        result.pop(key, None)
    return result


def _outcome(r, n_rows: int) -> Outcome:
    cfg = r.expectation_config
    meta = cfg.meta or {}
    res = r.result or {}
    rows = np.unique(np.asarray(res.get("unexpected_index_list") or [], dtype=np.int64))
    unexpected = None
    if r.exception_info and r.exception_info.get("raised_exception"):
        observed = "error: " + str(r.exception_info.get("exception_message", ""))[:200]
        passed = False
    elif cfg.type.startswith("expect_table_"):
        observed = _table_observed(cfg.type, res, cfg.kwargs, n_rows)
        passed = bool(r.success)
    else:
        # a passing expectation from pass 1 (BOOLEAN_ONLY) has no counts: none was unexpected
        unexpected = res.get("unexpected_count", 0)
        observed = f"{unexpected} of {res.get('element_count', n_rows)} rows"
        passed = bool(r.success)
    return Outcome(
        rule=_rule(r),
        severity=meta.get("severity", "critical"),
        expectation=cfg.type,
        passed=passed,
        observed_value=observed,
        rows=rows,
        unexpected=unexpected,
    )


def _table_observed(type_: str, res: dict, kwargs: dict, n_rows: int) -> str:
    """The observed value of a table expectation; one that passed in pass 1 has none, and then
    what it confirmed is known: every listed column is present, the frame has ``n_rows``."""
    if type_ == "expect_table_columns_to_match_set":
        if "observed_value" not in res:
            return "all present"
        missing = [c for c in kwargs["column_set"] if c not in res["observed_value"]]
        return "missing: " + ", ".join(missing) if missing else "all present"
    return str(res.get("observed_value", n_rows))
