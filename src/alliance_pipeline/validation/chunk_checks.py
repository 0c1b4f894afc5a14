"""The checks of one chunk of a delivery: the reader's findings, the GX suite, the pandas rules.

Each returns :class:`~alliance_pipeline.validation.gx_run.Outcome` objects whose ``rows`` are
positions in the chunk; :func:`row_rules` turns them into the rules each row broke.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_pipeline.contracts import Dataset
from alliance_pipeline.validation import rules as R
from alliance_pipeline.validation.gx_run import Outcome
from alliance_pipeline.validation.policy import severity_of


def reader_order(contract: Dataset) -> list[str]:
    """Every reader rule in the order a whole read reports them (cut lines, then by column)."""
    kinds = ("nul_character", "fullwidth_digits", "excel_scientific_notation")
    by_column = [
        f"{kind}:{col.name}" for col in contract.columns for kind in (*kinds, f"type_{col.dtype}")
    ]
    return ["malformed_record", *by_column, "nul_character:extra_columns"]


def reader_outcomes(row_failures: dict[str, np.ndarray]) -> list[Outcome]:
    out = []
    for rule, mask in row_failures.items():
        rows = np.flatnonzero(mask)
        out.append(
            Outcome(
                rule,
                severity_of(rule),
                "reader",
                False,
                f"{len(rows)} of {len(mask)} rows",
                rows,
                unexpected=len(rows),
            )
        )
    return out


def pandas_outcomes(
    typed: pd.DataFrame, contract: Dataset, known: dict[str, set[str] | None]
) -> list[Outcome]:
    """The rules.py checks; ``known``: the ids each referencing column may hold."""
    checks: dict[str, np.ndarray] = {}
    for col in contract.columns:
        if col.format in R.FORMAT_CHECKS and col.name in typed.columns:
            for name, mask in R.FORMAT_CHECKS[col.format](typed[col.name]).items():
                checks[f"{name}:{col.name}"] = mask
    for column, ids in known.items():
        if column in typed.columns:
            checks[f"ref:{column}"] = R.reference_check(typed[column], ids)
    for rule, check in R.ROW_CHECKS.get(contract.name, {}).items():
        mask = check(typed)
        if mask is not None:
            checks[rule] = mask
    out = []
    for rule, mask in checks.items():
        info = rule.split(":", 1)[0] in R.OBSERVATIONS
        out.append(
            Outcome(
                rule,
                "info" if info else "row",
                "pandas",
                info or not mask.any(),
                f"{int(mask.sum())} of {len(mask)} rows",
                np.flatnonzero(mask),
                unexpected=int(mask.sum()),
            )
        )
    return out


def row_rules(outcomes: list[Outcome], n: int) -> pd.Series:
    """Per row, the ';'-joined row rules it broke ('' when none)."""
    names: dict[int, list[str]] = {}  # only the rows that broke one: few on a normal night
    for o in outcomes:
        if o.severity == "row" and not o.passed:
            for i in o.rows:
                names.setdefault(int(i), []).append(o.rule)
    out = np.full(n, "", dtype=object)
    for i, rules in names.items():
        out[i] = ";".join(rules)
    return pd.Series(out, dtype=object)
