"""Ranking metrics at k, binary relevance, one recommended list against one relevant set.

These are the definitions; :mod:`alliance_pipeline.recommendation.evaluate` computes exactly the
same formulas with Spark built-ins and a test checks both agree.

- precision@k = hits in the first k / k (a person with fewer than k relevant items cannot
  reach 1).
- recall@k    = hits in the first k / |relevant|.
- NDCG@k      = DCG / IDCG with DCG = sum over hit positions i (1-based) of 1 / log2(i + 1) and
  IDCG the DCG of a perfect list, min(|relevant|, k) hits at the top.
- AP@k        = sum over hit positions i of precision@i, divided by **min(|relevant|, k)** (the
  most hits the list could hold; so a perfect list scores 1). MAP@k is its mean over persons.
- Persons without relevant items are left out of the means (they cannot be scored).
- catalog coverage = distinct items recommended to anyone / items in the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def _hits(recommended: Sequence, relevant: Iterable, k: int) -> np.ndarray:
    rel = set(relevant)
    return np.array([1.0 if item in rel else 0.0 for item in list(recommended)[:k]])


def precision_at_k(recommended: Sequence, relevant: Iterable, k: int) -> float:
    return float(_hits(recommended, relevant, k).sum() / k)


def recall_at_k(recommended: Sequence, relevant: Iterable, k: int) -> float:
    rel = set(relevant)
    return float(_hits(recommended, rel, k).sum() / len(rel)) if rel else 0.0


def _discounts(n: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, n + 2))


def ndcg_at_k(recommended: Sequence, relevant: Iterable, k: int) -> float:
    rel = set(relevant)
    if not rel:
        return 0.0
    hits = _hits(recommended, rel, k)
    dcg = float((hits * _discounts(len(hits))).sum())
    idcg = float(_discounts(min(len(rel), k)).sum())
    return dcg / idcg


def average_precision_at_k(recommended: Sequence, relevant: Iterable, k: int) -> float:
    rel = set(relevant)
    if not rel:
        return 0.0
    hits = _hits(recommended, rel, k)
    precision_at_i = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision_at_i * hits).sum() / min(len(rel), k))


def catalog_coverage(lists: Iterable[Sequence], catalog_size: int, k: int) -> float:
    items = {item for rec in lists for item in list(rec)[:k]}
    return len(items) / catalog_size if catalog_size else 0.0


def mean_metrics(pairs: Iterable[tuple[Sequence, Iterable]], k: int, catalog_size: int) -> dict:
    """Means over persons with at least one relevant item: ``pairs`` = (recommended, relevant)."""
    pairs = [(list(rec), set(rel)) for rec, rel in pairs if rel]
    if not pairs:
        return {
            "persons": 0,
            "precision": 0.0,
            "recall": 0.0,
            "ndcg": 0.0,
            "map": 0.0,
            "coverage": 0.0,
        }
    return {
        "persons": len(pairs),
        "precision": float(np.mean([precision_at_k(r, s, k) for r, s in pairs])),
        "recall": float(np.mean([recall_at_k(r, s, k) for r, s in pairs])),
        "ndcg": float(np.mean([ndcg_at_k(r, s, k) for r, s in pairs])),
        "map": float(np.mean([average_precision_at_k(r, s, k) for r, s in pairs])),
        "coverage": catalog_coverage([r for r, _ in pairs], catalog_size, k),
    }
