"""Publish a recommendation run to the warehouse behind the gate.

The gate: a run's lists are published only when its lists as shipped (``als_shipped``: the
published lists' own code path, as of the holdout's eve) beat the popularity baseline on NDCG@k
on the same holdout; the unconstrained model's row (``als``) shows what the list rules cost. Otherwise mart.recommendation keeps the last published run date (this
run's partition is emptied, so a rerun that fails the gate also withdraws what an earlier
attempt of the same date published) and mart.model_evaluation (family recommendation, target
item; the propensity rows of the date stay) says why.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alliance_pipeline import model_evaluation
from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import read_partition
from alliance_pipeline.recommendation.evaluate import MODEL, POPULARITY, SHIPPED
from alliance_pipeline.recommendation.scoring import OUTPUT_COLUMNS

log = logging.getLogger(__name__)

EVALUATION_COLUMNS = (
    "model",
    "k",
    "persons",
    "precision",
    "recall",
    "ndcg",
    "map",
    "coverage",
    "params",
)


@dataclass(frozen=True)
class PublishResult:
    run_date: str
    published: bool
    reason: str
    rows: int


def gate(evaluation: pd.DataFrame) -> tuple[bool, str]:
    """(publish?, reason) from the rows of one run (``model`` als_shipped, als, popularity)."""
    by_model = evaluation.set_index("model")
    if not {SHIPPED, MODEL, POPULARITY} <= set(by_model.index):
        return False, f"evaluation lacks the {SHIPPED}, {MODEL} or {POPULARITY} row"
    shipped, als, pop = (by_model.loc[m] for m in (SHIPPED, MODEL, POPULARITY))
    k = int(shipped["k"])
    if int(shipped["persons"]) == 0:
        return False, "no person with held-out interactions to evaluate on"
    verdict = (
        f"shipped lists NDCG@{k} {shipped['ndcg']:.4f} vs popularity {pop['ndcg']:.4f}"
        f" (unconstrained ALS {als['ndcg']:.4f})"
    )
    if shipped["ndcg"] > pop["ndcg"]:
        return True, f"published: {verdict}"
    return False, f"kept the last published set: {verdict} does not beat the baseline"


def _partition(lake_root: Path | str, dataset: str, dt: str) -> pd.DataFrame:
    try:
        return read_partition(lake_root, dataset, run_date=dt)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"recommendation run_date={dt}: {exc} (did the job run?)") from None


def publish_recommendations(wh, dt: str, lake_root: Path | str) -> PublishResult:
    """Load curated/model_evaluation and (if the gate passes) curated/recommendations of ``dt``
    into mart.model_evaluation (the recommendation rows of the date) and mart.recommendation,
    in one transaction."""
    run_date = datetime.date.fromisoformat(dt)
    evaluation = _partition(lake_root, paths.MODEL_EVALUATION, dt)[list(EVALUATION_COLUMNS)]
    published, reason = gate(evaluation)
    target = model_evaluation.RECOMMENDATION_TARGET
    evaluation = evaluation.assign(target=target, published=published, reason=reason)
    if published:
        recs = _partition(lake_root, paths.RECOMMENDATIONS, dt)[list(OUTPUT_COLUMNS)]
    else:
        recs = pd.DataFrame({c: pd.Series(dtype=object) for c in OUTPUT_COLUMNS})
    recs = recs.assign(run_date=run_date)
    with wh.transaction() as tx:
        model_evaluation.replace_family(tx, model_evaluation.RECOMMENDATION, run_date, evaluation)
        rows = tx.replace_partition("mart.recommendation", {"run_date": run_date}, recs)
    (log.info if published else log.warning)("recommendations %s: %s", dt, reason)
    return PublishResult(dt, published, reason, rows)
