"""What every alliance DAG declares: tags from one vocabulary, owner, retries, alerts."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from alliance_pipeline.alerts import AllianceAlertNotifier

OWNER = "data-platform"


class Tag(StrEnum):
    NIGHTLY = "nightly"
    MONTHLY = "monthly"
    INGESTION = "ingestion"
    VALIDATION = "validation"
    PRIVACY = "privacy"
    SPARK = "spark"
    SETTLEMENT = "settlement"
    WAREHOUSE = "warehouse"
    MAINTENANCE = "maintenance"


def default_args() -> dict:
    return {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": [AllianceAlertNotifier()],
    }
