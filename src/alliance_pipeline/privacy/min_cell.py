"""The one minimum-cell-size check that every published table goes through.

No published person-level table or aggregate cell may describe fewer than k distinct persons.
A cell is a group of ``cell_columns`` values; its size is the number of distinct persons in it.
"""

from __future__ import annotations

import pandas as pd

from alliance_pipeline.config import pipeline_config


def min_cell_size() -> int:
    return pipeline_config().privacy.min_cell_size


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
    k = min_cell_size() if k is None else k
    sizes = cell_sizes(df, cell_columns, person_column)
    return sizes[sizes["persons"] < k].reset_index(drop=True)


def assert_publishable(
    df: pd.DataFrame, cell_columns: list[str], person_column: str, table: str, k: int | None = None
) -> None:
    """Raise before publishing ``table`` if any cell is below k. Names the table, never a person."""
    k = min_cell_size() if k is None else k
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
    k = min_cell_size() if k is None else k
    bad = df[(df[count_column] > 0) & (df[count_column] < k)]
    if len(bad):
        raise ValueError(
            f"{table}: {len(bad)} row(s) count fewer than k={k} persons in {count_column}; "
            "suppress or merge them before publishing"
        )


SUPPRESSED = "(suppressed)"


def suppress_small_counts(
    df: pd.DataFrame,
    count_column: str,
    label_columns: list[str],
    k: int | None = None,
    label: str = SUPPRESSED,
) -> pd.DataFrame:
    """Fold rows counting 1..k-1 persons into one summary row so that totals still reconcile.

    Returns the rows counting 0 or at least k persons (``suppressed_cells`` = 0) and, when any
    row was folded, one summary row: ``label`` in every label column, the folded count in
    ``count_column``, the number of folded rows in ``suppressed_cells``. Should the summary itself
    count fewer than k persons, the smallest remaining rows are folded in too (secondary
    suppression). Only when all rows together count fewer than k is the summary's count left
    empty (None): then nothing about them is publishable and the total does not reconcile.
    """
    k = min_cell_size() if k is None else k
    counts = df[count_column]
    small = df[(counts > 0) & (counts < k)]
    kept = df.drop(small.index).sort_values(count_column, kind="stable")
    folded = int(small[count_column].sum())
    cells = len(small)
    while cells and folded < k and len(kept[kept[count_column] > 0]):
        smallest = kept[kept[count_column] > 0].index[0]
        folded += int(kept.at[smallest, count_column])
        cells += 1
        kept = kept.drop(smallest)
    out = df.loc[df.index.isin(kept.index)].assign(suppressed_cells=0)
    if cells:
        summary = {c: label for c in label_columns}
        summary |= {count_column: folded if folded >= k else None, "suppressed_cells": cells}
        out = pd.concat([out, pd.DataFrame([summary])], ignore_index=True)
    return out.astype({count_column: "Int64", "suppressed_cells": "int64"}).reset_index(drop=True)
