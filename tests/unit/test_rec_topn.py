"""The vectorised top-N kernel against a plain sort of each row."""

import numpy as np
import pytest

from alliance_pipeline.recommendation.topn import EXCLUDED, best, top_n

pytestmark = pytest.mark.unit


def sorted_lists(scores, n, reserve, quota):
    """The rule spelt out: per row, entries by (score desc, column); the ``quota`` best
    reserved ones first, then the best others up to ``n``; the list ranked by score."""
    out = []
    for r, row in enumerate(scores):
        ranked = sorted((-s, c) for c, s in enumerate(row) if np.isfinite(s))
        kept = [e for e in ranked if reserve[r, e[1]]][:quota]
        kept += [e for e in ranked if e not in kept][: n - len(kept)]
        out += [(r, c, rank) for rank, (_, c) in enumerate(sorted(kept), start=1)]
    return out


def test_quota_reserves_the_best_marked_items_and_ranks_by_score():
    scores = np.array([[0.9, 0.8, 0.7, 0.1, 0.05], [0.5, EXCLUDED, 0.5, 0.4, 0.3]])
    marked = np.array([[False, False, False, True, True], [True, True, False, False, True]])
    got = top_n(scores, 3, marked, 2)
    assert list(zip(got.rows, got.cols, got.ranks, strict=True)) == [
        (0, 0, 1),  # 0.9 by score; 0.1 and 0.05 reserved
        (0, 3, 2),
        (0, 4, 3),
        (1, 0, 1),  # 0.5 reserved, ties to the lower column; 0.3 reserved; then 0.5 (col 2)
        (1, 2, 2),
        (1, 4, 3),
    ]
    assert got.scores.tolist() == pytest.approx([0.9, 0.1, 0.05, 0.5, 0.5, 0.3])


@pytest.mark.parametrize("seed", range(5))
def test_random_blocks_with_ties_match_a_plain_sort(seed):
    rng = np.random.default_rng(seed)
    for _ in range(60):
        shape = (int(rng.integers(1, 9)), int(rng.integers(1, 16)))
        scores = rng.integers(0, 5, size=shape).astype(float)  # many ties
        scores[rng.random(shape) < 0.2] = EXCLUDED
        marked = rng.random(shape) < 0.4
        n = int(rng.integers(1, 8))
        quota = int(rng.integers(0, n + 1))
        got = top_n(scores, n, marked, quota)
        assert list(zip(got.rows, got.cols, got.ranks, strict=True)) == sorted_lists(
            scores, n, marked, quota
        )
        k = int(rng.integers(1, 6))
        kept = best(scores, k)
        want = sorted_lists(scores, k, np.zeros(shape, bool), 0)
        assert sorted(zip(*np.nonzero(kept), strict=True)) == sorted((r, c) for r, c, _ in want)
