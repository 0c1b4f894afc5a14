"""Validation (issue 3): the gate between the raw zone and everything downstream.

Entry points for the DAG (GX is imported only when they run, never at import):

    validate_batch(source_id, dataset, ds, run_id, *, now) -> BatchResult   (batch.py)
    publish_dq(wh, results)                                                   (publish.py)
    load_results(ds) -> list[BatchResult]                                     (results.py)
    build_data_docs(ds) -> Path | None   once per night, after every batch     (docs.py)

Order: reference datasets (users, catalog, campaigns, contracts, fx_rates) must be validated
before the facts that point at them (events, orders, campaign_delivery); see references.py.
"""

from alliance_pipeline.validation.batch import validate_batch
from alliance_pipeline.validation.docs import build_data_docs
from alliance_pipeline.validation.publish import publish_dq
from alliance_pipeline.validation.references import (
    FACT_DATASETS,
    REFERENCE_DATASETS,
    validation_order,
)
from alliance_pipeline.validation.results import BatchResult, ValidationFailed, load_results

__all__ = [
    "FACT_DATASETS",
    "REFERENCE_DATASETS",
    "BatchResult",
    "ValidationFailed",
    "build_data_docs",
    "load_results",
    "publish_dq",
    "validate_batch",
    "validation_order",
]
