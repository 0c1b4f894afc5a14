"""Top-N lists from a block of scores, vectorised (numpy); the Spark side is in
:mod:`.factor_scoring`.

A block is persons (rows) by items (columns), columns in tie-break order: of two equal scores
the lower column comes first. ``-inf`` marks an item a person may not get. Selecting by a row's
k-th best score and counting ties costs a few passes over the block, never a sort of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXCLUDED = -np.inf


def best(scores: np.ndarray, k: int) -> np.ndarray:
    """Mask of each row's ``k`` best finite scores (ties to the lower column)."""
    finite = np.isfinite(scores)
    if k <= 0:
        return np.zeros_like(finite)
    if scores.shape[1] <= k:
        return finite
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
    greater = scores > kth
    ties = scores == kth
    need = k - greater.sum(axis=1, keepdims=True)
    return (greater | (ties & (np.cumsum(ties, axis=1) <= need))) & finite


def exclude(scores: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
    """Exclude the (row, column) pairs, in place."""
    scores[rows, cols] = EXCLUDED


@dataclass(frozen=True)
class Lists:
    """One entry per (row, rank), ordered by row then rank (1 = best)."""

    rows: np.ndarray
    cols: np.ndarray
    scores: np.ndarray
    ranks: np.ndarray


def _in_row(rows: np.ndarray) -> np.ndarray:
    """0-based position of each entry inside its run of equal ``rows`` (sorted)."""
    return np.arange(len(rows)) - np.searchsorted(rows, rows)


def top_n(scores: np.ndarray, n: int, reserve: np.ndarray | None = None, quota: int = 0) -> Lists:
    """Each row's list of at most ``n``: its ``quota`` best entries where ``reserve`` (a mask
    like ``scores``) first, the rest filled by score; ranked by score, ties to the lower
    column. Fewer reserved candidates than ``quota``: all of them are in the list."""
    reserved = (
        best(np.where(reserve, scores, EXCLUDED), quota)
        if reserve is not None and quota > 0
        else np.zeros(scores.shape, dtype=bool)
    )
    rows, cols = np.nonzero(reserved | best(np.where(reserved, EXCLUDED, scores), n))
    s, res = scores[rows, cols], reserved[rows, cols]
    order = np.lexsort((cols, -s, rows))
    rows, cols, s, res = rows[order], cols[order], s[order], res[order]
    free, start = ~res, np.searchsorted(rows, rows)
    counted = np.cumsum(free)
    rest_rank = counted - counted[start] + free[start]  # 1-based, among the row's unreserved
    n_reserved = np.bincount(rows, weights=res, minlength=scores.shape[0]).astype(int)
    keep = res | (rest_rank <= n - n_reserved[rows])
    rows, cols, s = rows[keep], cols[keep], s[keep]
    return Lists(rows=rows, cols=cols, scores=s, ranks=_in_row(rows) + 1)
