"""Loading batch results into mart.dq_result and mart.quarantine_index (migrations 100, 101)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date

import pandas as pd

from alliance_pipeline.validation.results import BatchResult

DQ_COLUMNS = [
    "run_id",
    "source",
    "dataset",
    "dt",
    "expectation",
    "severity",
    "observed_value",
    "passed",
    "rows_affected",
    "engine",
]
QUARANTINE_COLUMNS = ["run_id", "source", "dataset", "dt", "rule", "rows", "path", "batch_rejected"]


def publish_dq(wh, results: BatchResult | dict | Iterable[BatchResult | dict]) -> int:
    """Replace each result's (source, dataset, dt) partition of both tables in one transaction:
    a delivery's latest validation is its verdict, so a rerun replaces and never adds. Returns
    the dq rows loaded."""
    if isinstance(results, BatchResult | dict):
        results = [results]
    loaded = 0
    with wh.transaction() as tx:
        for r in results:
            r = r if isinstance(r, BatchResult) else BatchResult.from_dict(r)
            key = {"source": r.source, "dataset": r.dataset, "dt": date.fromisoformat(r.dt)}
            row = {"run_id": r.run_id, **key}
            dq = pd.DataFrame([{**row, **asdict(e)} for e in r.expectations], columns=DQ_COLUMNS)
            quarantine = pd.DataFrame(
                [{**row, **asdict(q)} for q in r.quarantine], columns=QUARANTINE_COLUMNS
            )
            loaded += tx.replace_partition("mart.dq_result", key, dq)
            tx.replace_partition("mart.quarantine_index", key, quarantine)
    return loaded
