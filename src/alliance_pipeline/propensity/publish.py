"""Load a propensity run's evaluation and reliability deciles into the warehouse.

The gate itself runs in the Spark job (``gate.py``: it decides which model scores); this step
publishes what it decided: the run date's propensity rows of mart.model_evaluation (family
propensity; the recommender's rows stay) and mart.propensity_calibration, replaced in one
transaction.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

from alliance_pipeline import model_evaluation
from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import read_partition

log = logging.getLogger(__name__)


def _partition(lake_root: Path | str, dataset: str, dt: str):
    try:
        return read_partition(lake_root, dataset, run_date=dt)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"propensity run_date={dt}: {exc} (did the job run?)") from None


def publish_propensity(wh, dt: str, lake_root: Path | str) -> dict:
    """Replace the run date's propensity evaluation and deciles; returns the gate's decision."""
    run_date = datetime.date.fromisoformat(dt)
    evaluation = _partition(lake_root, paths.PROPENSITY_EVALUATION, dt)
    evaluation["scoring_model_version"] = [
        datetime.date.fromisoformat(str(v)) for v in evaluation["scoring_model_version"]
    ]
    calibration = _partition(lake_root, paths.PROPENSITY_CALIBRATION, dt).assign(run_date=run_date)
    with wh.transaction() as tx:
        model_evaluation.replace_family(tx, model_evaluation.PROPENSITY, run_date, evaluation)
        tx.replace_partition("mart.propensity_calibration", {"run_date": run_date}, calibration)
    first = evaluation.iloc[0] if len(evaluation) else None
    result = {
        "published": bool(first["published"]) if first is not None else False,
        "reason": str(first["reason"]) if first is not None else "no evaluation rows",
        "scoring_model": str(first["scoring_model"]) if first is not None else "baseline",
        "rows": len(evaluation),
    }
    (log.info if result["published"] else log.warning)("propensity %s: %s", dt, result["reason"])
    return result
