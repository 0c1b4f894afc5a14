"""From one experiment's per-variant sums to its readout rows (``mart.experiment_readout``).

One row per variant and metric (the primary first, then the guardrails, then the others): the
variant's mean, and for every variant but the control its absolute and relative lift against
the control with 95% intervals (or ``1 - alpha``), the p-value, the CUPED estimate beside the
plain one (mean metrics), the persons per variant the declared minimum detectable effect needs,
the sample-ratio check and a verdict. The k rule (:mod:`alliance_pipeline.privacy.min_cell`):
a variant of fewer than k persons is withheld, with the next smallest while the withheld ones
count fewer than k (``withhold``); a metric whose persons with a non-zero value are 1..k-1 in a
variant is withheld for that variant, and its lifts against a withheld control too.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd

from alliance_pipeline.experiments import stats
from alliance_pipeline.experiments.metrics import METRICS, Metric
from alliance_pipeline.experiments.registry import Experiment
from alliance_pipeline.privacy.min_cell import below_k, withhold
from alliance_pipeline.settlement.money import from_minor

FEN_PER_YUAN = 100
COMPARISON_FIELDS = ("lift", "lift_ci_low", "lift_ci_high", "relative_lift", "relative_ci_low",
                     "relative_ci_high", "p_value")  # fmt: skip
CUPED_FIELDS = ("cuped_lift", "cuped_ci_low", "cuped_ci_high", "cuped_p_value")


def metric_order(experiment: Experiment) -> list[str]:
    first = [experiment.primary_metric, *experiment.guardrail_metrics]
    return first + [m for m in METRICS if m not in first]


def moments(s: dict, column: str) -> stats.Moments:
    return stats.Moments(s["persons"], s[f"s_{column}"], s[f"q_{column}"])


def cuped_sums(s: dict, column: str) -> stats.CupedSums:
    x = stats.Moments(s["persons"], s[f"sx_{column}"], s[f"qx_{column}"])
    return stats.CupedSums(moments(s, column), x, s[f"xy_{column}"])


def ratio_sums(s: dict, m: Metric) -> stats.RatioSums:
    n, d = m.numerator, m.denominator
    return stats.RatioSums(
        s["persons"], s[f"s_{n}"], s[f"s_{d}"], s[f"q_{n}"], s[f"q_{d}"], s[f"p_{n}_{d}"]
    )


def compare(m: Metric, t: dict, c: dict, alpha: float):
    """(plain comparison, CUPED comparison or None) of variant sums ``t`` against ``c``."""
    if m.kind == "ratio":
        return stats.ratio_comparison(ratio_sums(t, m), ratio_sums(c, m), alpha), None
    plain = stats.welch(moments(t, m.numerator), moments(c, m.numerator), alpha)
    adjusted, _ = stats.cuped(cuped_sums(t, m.numerator), cuped_sums(c, m.numerator), alpha)
    return plain, adjusted


def mean_of(m: Metric, s: dict) -> float:
    if m.kind == "ratio":
        return ratio_sums(s, m).ratio
    return moments(s, m.numerator).mean


def _scale(m: Metric, value):
    """Money metrics are published in yuan (CNY), everything else as computed."""
    if value is None or not m.money:
        return value
    return value / FEN_PER_YUAN


def _finite(value):
    return None if value is None or not math.isfinite(value) else value


def plain_columns(m: Metric, c: stats.Comparison) -> dict:
    values = (_scale(m, c.lift), _scale(m, c.ci_low), _scale(m, c.ci_high), c.relative_lift,
              c.relative_ci_low, c.relative_ci_high, c.p_value)  # fmt: skip
    return {k: _finite(v) for k, v in zip(COMPARISON_FIELDS, values, strict=True)}


def cuped_columns(m: Metric, c: stats.Comparison) -> dict:
    values = (_scale(m, c.lift), _scale(m, c.ci_low), _scale(m, c.ci_high), c.p_value)
    return {k: _finite(v) for k, v in zip(CUPED_FIELDS, values, strict=True)}


def verdict(m: Metric, comparison, alpha: float, srm_flag: bool) -> str:
    if srm_flag:
        return "sample_ratio_mismatch"
    if comparison is None or not comparison.p_value < alpha:
        return "inconclusive"
    return "better" if (comparison.lift > 0) == m.higher_is_better else "worse"


def readout_rows(experiment: Experiment, sums: dict[str, dict], dt, k: int | None = None):
    """The readout rows of one experiment from its per-variant sums (variant id -> sums)."""
    variants = [v for v in experiment.variants]
    empty = {"persons": 0}
    persons = pd.Series([sums.get(v.id, empty)["persons"] for v in variants])
    withheld, _ = withhold(persons, k)
    srm_p = stats.srm_p_value({v.id: int(n) for v, n in zip(variants, persons, strict=True)},
                              experiment.weights())  # fmt: skip
    srm_flag = srm_p < stats.SRM_P_THRESHOLD
    control = experiment.control
    c_sums = sums.get(control.id)
    c_withheld = bool(withheld[[v.id for v in variants].index(control.id)])
    rows = []
    for name in metric_order(experiment):
        m = METRICS[name]

        def hidden(s: dict | None, m: Metric = m) -> bool:
            """No sums, or 1..k-1 persons with a non-zero value of the metric."""
            return s is None or bool(below_k(s[f"nz_{m.numerator}"], k))

        required = None
        if c_sums is not None and m.kind == "mean" and not c_withheld and not hidden(c_sums):
            mc = moments(c_sums, m.numerator)
            required = stats.required_persons(
                mc.mean, mc.var, experiment.minimum_detectable_effect, experiment.alpha,
                experiment.power,
            )  # fmt: skip
        for v, held in zip(variants, withheld, strict=True):
            s = sums.get(v.id)
            row = {
                "dt": dt,
                "experiment_id": experiment.id,
                "variant": v.id,
                "is_control": v.control,
                "metric": name,
                "metric_role": experiment.metric_role(name),
                "persons": None if held else (s or empty)["persons"],
                "suppressed_cells": int(bool(held)),
                "mean": None,
                "total_amount": None,
                "currency": "CNY" if m.money else None,
                **dict.fromkeys([*COMPARISON_FIELDS, *CUPED_FIELDS]),
                "required_persons": required,
                "srm_p_value": srm_p,
                "srm_flag": srm_flag,
                "verdict": "control" if v.control else "inconclusive",
            }
            if held or hidden(s):
                row["verdict"] = "suppressed"
                rows.append(row)
                continue
            row["mean"] = _finite(_scale(m, mean_of(m, s)))
            if m.money:
                row["total_amount"] = Decimal(from_minor(s[f"s_{m.numerator}"], "CNY"))
            if not v.control and not c_withheld and not hidden(c_sums):
                plain, adjusted = compare(m, s, c_sums, experiment.alpha)
                row |= plain_columns(m, plain)
                if adjusted is not None:
                    row |= cuped_columns(m, adjusted)
                row["verdict"] = verdict(m, plain, experiment.alpha, srm_flag)
            elif not v.control:
                row["verdict"] = "suppressed"
            rows.append(row)
    return rows
