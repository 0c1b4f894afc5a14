"""The scores of the run date's pairs (lake contract ``curated/propensity_scores``), and the
baseline: each campaign's rate of clicks and orders in a labelled period.

Contract (partner audience files build on it): one row per (person_key, campaign_id) of the
campaigns running on dt and the persons their partner knows (features.pairs), with partner_id,
p_click, p_order (doubles), model_version (the run date of the model that scored: for a kept
model the earlier date) and model (``logistic_regression``, ``gbt`` or ``baseline``).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.propensity.train import TARGETS

COLUMNS = (
    "person_key",
    "campaign_id",
    "partner_id",
    "p_click",
    "p_order",
    "model_version",
    "model",
)


def campaign_rates(labelled: DataFrame) -> tuple[DataFrame, dict[str, float]]:
    """((campaign_id, rate_click, rate_order), the overall rates) of labelled pairs."""
    rates = labelled.groupBy("campaign_id").agg(*[F.avg(t).alias(f"rate_{t}") for t in TARGETS])
    overall = labelled.agg(*[F.avg(t).alias(t) for t in TARGETS]).first()
    return rates, {t: float(overall[t] or 0.0) for t in TARGETS}


def baseline(pairs: DataFrame, labelled: DataFrame) -> DataFrame:
    """``pairs`` with p_click and p_order: the campaign's rate in ``labelled``, the overall rate
    for a campaign it lacks."""
    rates, overall = campaign_rates(labelled)
    out = pairs.join(F.broadcast(rates), "campaign_id", "left")
    for t in TARGETS:
        out = out.withColumn(f"p_{t}", F.coalesce(F.col(f"rate_{t}"), F.lit(overall[t])))
    return out.drop(*(f"rate_{t}" for t in TARGETS))


def contract(scored: DataFrame, model_version: str, model: str) -> DataFrame:
    """The contract's columns of pairs scored with p_click and p_order."""
    return scored.select(
        F.col("person_key").cast("string"),
        F.col("campaign_id").cast("string"),
        F.col("partner_id").cast("string"),
        F.col("p_click").cast("double"),
        F.col("p_order").cast("double"),
        F.lit(model_version).alias("model_version"),
        F.lit(model).alias("model"),
    )
