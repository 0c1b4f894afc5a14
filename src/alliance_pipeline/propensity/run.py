"""The propensity run as one pure composition: DataFrames in, DataFrames and rows out.

Three cut-offs, ``label_days`` (N) apart: the pairs of dt - 2N, labelled by what they did in the
N days after, train the candidates; the pairs of dt - N, labelled by the last N days up to dt,
are the holdout on which candidates and the baseline (each campaign's rate in training) are
judged; the pairs of dt are scored. ``jobs/propensity.py`` reads the partitions, calls
:func:`run`, and writes what it returns.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.config import PropensityConfig
from alliance_pipeline.propensity import evaluate, gate, score, train
from alliance_pipeline.propensity.features import features_at
from alliance_pipeline.propensity.labels import with_labels


@dataclass(frozen=True)
class Kept:
    """A model that passed the gate on an earlier night."""

    run_date: str
    name: str
    model: PipelineModel


@dataclass
class RunOutput:
    scores: DataFrame  # score.COLUMNS
    evaluation: list[
        dict
    ]  # target, model, pairs, positives, roc_auc, ... (mart.model_evaluation, family propensity)
    calibration: list[dict]  # target, model, decile, pairs, mean_predicted, observed_rate
    chosen: str | None  # the candidate that passed the gate tonight
    model: PipelineModel | None  # its fitted pipeline, to keep
    holdout: DataFrame  # evaluate.long_form of every model on the holdout


def cutoffs(dt: datetime.date, label_days: int) -> tuple[datetime.date, datetime.date]:
    """(training cut-off, holdout cut-off) of the run date."""
    step = datetime.timedelta(days=label_days)
    return dt - 2 * step, dt - step


def _both_classes(labelled: DataFrame) -> bool:
    row = labelled.agg(*[F.sum(t).alias(f"pos_{t}") for t in train.TARGETS],
                       F.count(F.lit(1)).alias("n")).first()  # fmt: skip
    return all(0 < (row[f"pos_{t}"] or 0) < row["n"] for t in train.TARGETS)


def run(
    common: dict[str, DataFrame],
    persons_at: dict[datetime.date, dict[str, DataFrame | None]],
    dt: datetime.date,
    params: PropensityConfig,
    platform_sources: list[str],
    kept: Kept | None,
) -> RunOutput:
    """``common``: events (features.with_day), orders (features.orders_placed), campaigns
    (features.campaign_snapshot), delivery, catalog. ``persons_at``: per cut-off day, persons,
    features and segments (None when there is no partition on or before it)."""
    train_day, holdout_day = cutoffs(dt, params.label_days)

    def at(day: datetime.date, labelled: bool) -> DataFrame:
        inputs = {**common, **persons_at[day]}
        f = features_at(day, params.history_days, params.label_days if labelled else None,
                        inputs, platform_sources)  # fmt: skip
        if not labelled:
            return f
        return with_labels(f, common["events"], common["orders"], common["campaigns"], day,
                           params.label_days)  # fmt: skip

    training = at(train_day, True).localCheckpoint()
    holdout = at(holdout_day, True).localCheckpoint()
    today = at(dt, False).localCheckpoint()

    models = train.fit(training, params) if _both_classes(training) else {}
    long = evaluate.long_form(score.baseline(holdout, training), gate.BASELINE)
    for name, model in models.items():
        long = long.unionByName(evaluate.long_form(train.predict(model, holdout), name))
    long = long.localCheckpoint()
    rows, calibration = evaluate.metrics(long)
    chosen, reason = gate.choose(rows, tuple(models), params.min_positives)

    if chosen is not None:
        scores = score.contract(train.predict(models[chosen], today), dt.isoformat(), chosen)
    elif kept is not None:
        scores = score.contract(train.predict(kept.model, today), kept.run_date, kept.name)
    else:
        scores = score.contract(score.baseline(today, holdout), dt.isoformat(), gate.BASELINE)
    if chosen is None and kept is not None:
        version, scorer = kept.run_date, kept.name
    else:
        version, scorer = dt.isoformat(), chosen or gate.BASELINE
    settings = json.dumps(params.model_dump(mode="json"), sort_keys=True)
    for r in rows:
        r.update(chosen=r["model"] == chosen, published=chosen is not None, reason=reason,
                 scoring_model=scorer, scoring_model_version=version, params=settings)  # fmt: skip
    return RunOutput(scores, rows, calibration, chosen, models.get(chosen), long)
