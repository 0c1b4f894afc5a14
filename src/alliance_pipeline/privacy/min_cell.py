"""The one minimum-cell-size (k) rule that every published table goes through.

No published person-level table or aggregate cell may describe fewer than k distinct persons.
A cell is a group of ``cell_columns`` values; its size is the number of distinct persons in it.
A published count is either 0 or at least k; smaller cells are withheld (``withhold``,
``suppress_small_counts``) or merged (``merge_small_cells``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance_pipeline.config import pipeline_config


def min_cell_size() -> int:
    return pipeline_config().privacy.min_cell_size


def _k(k: int | None) -> int:
    return min_cell_size() if k is None else k


def at_least_k(persons, k: int | None = None):
    """Whether a count (or each count of a Series or array) describes at least k persons."""
    return persons >= _k(k)


def below_k(counts, k: int | None = None):
    """The counts that may not be published: 1..k-1 persons (a zero reveals nobody)."""
    return (counts > 0) & ~at_least_k(counts, k)


def cell_sizes(df: pd.DataFrame, cell_columns: list[str], person_column: str) -> pd.DataFrame:
    """Distinct persons per cell: ``cell_columns`` + ``persons``."""
    return (
        df.groupby(cell_columns, dropna=False)[person_column]
        .nunique()
        .rename("persons")
        .reset_index()
    )


def small_cells(
    df: pd.DataFrame, cell_columns: list[str], person_column: str, k: int | None = None
) -> pd.DataFrame:
    """The cells describing fewer than k distinct persons (empty when the table may be published)."""
    sizes = cell_sizes(df, cell_columns, person_column)
    return sizes[~at_least_k(sizes["persons"], k)].reset_index(drop=True)


def assert_publishable(
    df: pd.DataFrame, cell_columns: list[str], person_column: str, table: str, k: int | None = None
) -> None:
    """Raise before publishing ``table`` if any cell is below k. Names the table, never a person."""
    k = _k(k)
    small = small_cells(df, cell_columns, person_column, k)
    if len(small):
        raise ValueError(
            f"{table}: {len(small)} cell(s) over {cell_columns} describe fewer than k={k} persons; "
            "suppress or merge them before publishing"
        )


def assert_counts_publishable(
    df: pd.DataFrame, count_column: str, table: str, k: int | None = None
) -> None:
    """The same rule for pre-aggregated rows that carry their distinct-person count."""
    k = _k(k)
    bad = df[below_k(df[count_column], k)]
    if len(bad):
        raise ValueError(
            f"{table}: {len(bad)} row(s) count fewer than k={k} persons in {count_column}; "
            "suppress or merge them before publishing"
        )


def merge_small_cells(
    df: pd.DataFrame, cell_column: str, person_column: str, into: str, k: int | None = None
) -> tuple[pd.DataFrame, list, int]:
    """Merge the cells of fewer than k distinct persons into the one cell ``into``.

    Returns (the rows, small cells renamed to ``into``; the merged cell values, sorted; the number
    of rows left out). Should ``into`` itself describe fewer than k persons, its rows are left out.
    """
    k = _k(k)
    merged = sorted(small_cells(df, [cell_column], person_column, k)[cell_column])
    out = df.copy()
    out.loc[out[cell_column].isin(merged), cell_column] = into
    merged_rows = out[cell_column] == into
    left_out = 0
    if merged_rows.any() and not at_least_k(out.loc[merged_rows, person_column].nunique(), k):
        left_out = int(merged_rows.sum())
        out = out[~merged_rows]
    return out.reset_index(drop=True), merged, left_out


def withhold(counts: pd.Series, k: int | None = None) -> tuple[pd.Series, int | None]:
    """Which counts to withhold, and the persons they count together (None when fewer than k).

    Every count of 1..k-1 persons is withheld; while the withheld ones together count fewer than
    k, the smallest remaining positive counts are withheld too (secondary suppression; equal
    counts in the order given). Only when all of them together count fewer than k is their sum
    None: then nothing about them is publishable.
    """
    k = _k(k)
    n = counts.to_numpy()
    withheld = below_k(n, k)
    folded = int(n[withheld].sum())
    if folded:
        rest = np.flatnonzero((n > 0) & ~withheld)
        rest = rest[np.argsort(n[rest], kind="stable")]
        before = folded + np.cumsum(n[rest]) - n[rest]
        withheld[rest[~at_least_k(before, k)]] = True
    persons = int(n[withheld].sum())
    return pd.Series(withheld, index=counts.index), (
        persons if persons == 0 or at_least_k(persons, k) else None
    )


SUPPRESSED = "(suppressed)"


def suppress_small_counts(
    df: pd.DataFrame,
    count_column: str,
    label_columns: list[str],
    k: int | None = None,
    label: str = SUPPRESSED,
) -> pd.DataFrame:
    """Fold the rows ``withhold`` withholds into one summary row so that totals still reconcile.

    Returns the published rows (``suppressed_cells`` = 0) and, when any row was folded, one
    summary row: ``label`` in every label column, the folded count in ``count_column`` (empty
    when it counts fewer than k persons: then the total does not reconcile), the number of folded
    rows in ``suppressed_cells``.
    """
    withheld, persons = withhold(df[count_column], k)
    out = df[~withheld.to_numpy()].assign(suppressed_cells=0)
    cells = int(withheld.sum())
    if cells:
        summary = {c: label for c in label_columns}
        summary |= {count_column: persons, "suppressed_cells": cells}
        out = pd.concat([out, pd.DataFrame([summary])], ignore_index=True)
    return out.astype({count_column: "Int64", "suppressed_cells": "int64"}).reset_index(drop=True)
