"""The Assets the DAGs declare as outlets: each clean dataset and each mart family."""

from __future__ import annotations

from airflow.sdk import Asset

from alliance_pipeline.contracts import DATASETS


def clean(dataset: str) -> Asset:
    return Asset(name=f"clean.{dataset}", uri=f"alliance://lake/clean/{dataset}", group="clean")


def mart(table: str) -> Asset:
    return Asset(name=f"mart.{table}", uri=f"alliance://warehouse/mart/{table}", group="mart")


CLEAN = [clean(name) for name in DATASETS]
IDENTITY_MARTS = [mart("partner_overlap")]
SEGMENT_MARTS = [mart("dim_segment"), mart("person_segment")]
RECOMMENDATION_MARTS = [mart("recommendation"), mart("model_evaluation")]
PROPENSITY_MARTS = [
    mart("model_evaluation"),  # its propensity rows; mart.propensity_evaluation is their view
    mart("propensity_evaluation"),
    mart("propensity_calibration"),
]
SETTLEMENT_MARTS = [
    mart(t)
    for t in (
        "fct_order",
        "fct_order_attribution",
        "fct_settlement_line",
        "settlement_statement",
        "fct_campaign_daily",
        "campaign_growth",
        "dim_campaign",
        "dim_content",
        "dim_date",
    )
]
EXPERIMENT_MARTS = [mart("experiment_readout")]
CAMPAIGN_RESPONSE_MARTS = [mart("fct_campaign_response"), mart("fct_campaign_daily")]
QUALITY_MARTS = [mart("dq_result"), mart("quarantine_index")]
