"""Ranking metrics against hand-computed cases."""

import math

import pytest

from alliance_pipeline.recommendation import metrics as m

pytestmark = pytest.mark.unit


def test_perfect_ranking_gives_ndcg_one():
    assert m.ndcg_at_k(["a", "b", "c"], {"a", "b", "c"}, 3) == pytest.approx(1.0)
    assert m.average_precision_at_k(["a", "b", "c"], {"a", "b", "c"}, 3) == pytest.approx(1.0)


def test_fewer_relevant_items_than_k_caps_precision():
    rec, rel = ["a", "b", "x", "y", "z"], {"a", "b"}
    assert m.precision_at_k(rec, rel, 5) == pytest.approx(2 / 5)  # the best a list can do
    assert m.recall_at_k(rec, rel, 5) == pytest.approx(1.0)
    assert m.ndcg_at_k(rec, rel, 5) == pytest.approx(1.0)
    assert m.average_precision_at_k(rec, rel, 5) == pytest.approx(1.0)  # divides by min(2, 5)


def test_hand_computed_list():
    rec, rel, k = ["a", "b", "c", "d"], {"b", "d", "e"}, 4  # hits at positions 2 and 4
    assert m.precision_at_k(rec, rel, k) == pytest.approx(0.5)
    assert m.recall_at_k(rec, rel, k) == pytest.approx(2 / 3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m.ndcg_at_k(rec, rel, k) == pytest.approx(dcg / idcg)  # 0.4982
    assert m.average_precision_at_k(rec, rel, k) == pytest.approx((1 / 2 + 2 / 4) / 3)


def test_only_the_first_k_count_and_empty_lists_score_zero():
    assert m.precision_at_k(["x", "a"], {"a"}, 1) == pytest.approx(0.0)
    assert m.ndcg_at_k([], {"a"}, 3) == pytest.approx(0.0)
    assert m.average_precision_at_k(["x", "a"], {"a"}, 2) == pytest.approx(0.5)


def test_means_skip_persons_without_relevant_items_and_coverage_counts_distinct_items():
    pairs = [(["a", "b"], {"a"}), (["a", "c"], {"c"}), (["a", "b"], set())]
    out = m.mean_metrics(pairs, k=2, catalog_size=10)
    assert out["persons"] == 2
    assert out["precision"] == pytest.approx(0.5)
    assert out["map"] == pytest.approx((1 + 0.5) / 2)
    assert out["coverage"] == pytest.approx(3 / 10)  # a, b, c
