"""Holdout metrics of each model and the baseline, in Spark, from (target, model, label, score).

- roc_auc: the probability that a positive outranks a negative, ties counting half (what
  scikit-learn's ``roc_auc_score`` computes)
- pr_auc: average precision, the sum over score thresholds (highest first) of the recall gained
  times the precision there (scikit-learn's ``average_precision_score``)
- log_loss: mean -(y log p + (1 - y) log(1 - p)), p clipped to [eps, 1 - eps] with eps the
  double's machine epsilon (scikit-learn's ``log_loss``)
- calibration: pairs in ten deciles of the score (1 = lowest; ties broken by the pair's keys),
  with each decile's mean score and observed rate
- top_decile_lift: the observed rate of decile 10 over the overall rate
A metric that needs both classes is null when the holdout lacks one.
"""

from __future__ import annotations

import sys

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from alliance_pipeline.propensity.train import TARGETS

GROUP = ("target", "model")
DECILES = 10
EPS = sys.float_info.epsilon


def long_form(scored: DataFrame, model: str) -> DataFrame:
    """(target, model, person_key, campaign_id, label, score) from pairs with labels and
    p_<target> scores."""
    parts = [
        scored.select(
            F.lit(t).alias("target"),
            F.lit(model).alias("model"),
            "person_key",
            "campaign_id",
            F.col(t).alias("label"),
            F.col(f"p_{t}").alias("score"),
        )
        for t in TARGETS
    ]
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out


def _ranking(long: DataFrame) -> DataFrame:
    by_score = long.groupBy(*GROUP, "score").agg(
        F.sum("label").alias("pos"), F.sum(1.0 - F.col("label")).alias("neg")
    )
    down = (
        Window.partitionBy(*GROUP)
        .orderBy(F.desc("score"))
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    total = Window.partitionBy(*GROUP)
    ranked = (
        by_score.withColumn("cum_pos", F.sum("pos").over(down))
        .withColumn("cum_neg", F.sum("neg").over(down))
        .withColumn("P", F.sum("pos").over(total))
        .withColumn("N", F.sum("neg").over(total))
    )
    return ranked.groupBy(*GROUP).agg(
        F.first("P").alias("positives"),
        F.first("N").alias("negatives"),
        F.sum(F.col("pos") * (F.col("N") - F.col("cum_neg") + 0.5 * F.col("neg"))).alias("_auc"),
        F.sum(F.col("pos") * F.col("cum_pos") / (F.col("cum_pos") + F.col("cum_neg"))).alias("_ap"),
    )


def _loss(long: DataFrame) -> DataFrame:
    p = F.least(F.greatest(F.col("score"), F.lit(EPS)), F.lit(1 - EPS))
    y = F.col("label")
    return long.groupBy(*GROUP).agg(
        F.avg(-(y * F.log(p) + (1 - y) * F.log(1 - p))).alias("log_loss")
    )


def calibration(long: DataFrame) -> DataFrame:
    """(target, model, decile, pairs, mean_predicted, observed_rate)."""
    w = Window.partitionBy(*GROUP).orderBy("score", "person_key", "campaign_id")
    return (
        long.withColumn("decile", F.ntile(DECILES).over(w))
        .groupBy(*GROUP, "decile")
        .agg(
            F.count(F.lit(1)).alias("pairs"),
            F.avg("score").alias("mean_predicted"),
            F.avg("label").alias("observed_rate"),
        )
    )


def metrics(long: DataFrame) -> tuple[list[dict], list[dict]]:
    """(one row per target and model, calibration rows), as plain dicts."""
    long = long.cache()
    calib = calibration(long).cache()
    top = calib.where(F.col("decile") == DECILES).select(
        *GROUP, F.col("observed_rate").alias("_top")
    )
    both = (F.col("positives") > 0) & (F.col("negatives") > 0)
    rows = (
        _ranking(long)
        .join(_loss(long), list(GROUP))
        .join(top, list(GROUP), "left")
        .select(
            *GROUP,
            (F.col("positives") + F.col("negatives")).cast("long").alias("pairs"),
            F.col("positives").cast("long").alias("positives"),
            F.when(both, F.col("_auc") / (F.col("positives") * F.col("negatives"))).alias("roc_auc"),
            F.when(both, F.col("_ap") / F.col("positives")).alias("pr_auc"),
            "log_loss",
            F.when(both, F.col("_top") / (F.col("positives") / (F.col("positives") + F.col("negatives"))))
            .alias("top_decile_lift"),
        )
        .collect()
    )  # fmt: skip
    calibration_rows = [r.asDict() for r in calib.orderBy(*GROUP, "decile").collect()]
    calib.unpersist()
    long.unpersist()
    return [r.asDict() for r in sorted(rows, key=lambda r: (r.target, r.model))], calibration_rows
