"""Validation (issue 3): the gate between the raw zone and everything downstream.

Entry points for the DAG (GX is imported only when they run, never at import):

    validate_batch(source_id, dataset, dt, run_id, *, now) -> BatchResult   (batch.py)
    publish_dq(wh, results)                                                   (publish.py)
    load_results(dt) -> list[BatchResult]                                     (results.py)
    build_data_docs(dt) -> Path | None   once per night, after every batch     (docs.py)

Order: the reference wave of datasets (``Dataset.wave`` in contracts) must be validated before
the facts that point at them; see references.py.
"""

from alliance_pipeline.validation.batch import validate_batch
from alliance_pipeline.validation.docs import build_data_docs
from alliance_pipeline.validation.publish import publish_dq
from alliance_pipeline.validation.results import BatchResult, ValidationFailed, load_results

__all__ = [
    "BatchResult",
    "ValidationFailed",
    "build_data_docs",
    "load_results",
    "publish_dq",
    "validate_batch",
]
