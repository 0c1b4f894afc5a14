"""One GX Core run: an ephemeral context configured at call time, a pandas datasource, the
committed suite, ``result_format=COMPLETE`` for the offending row positions, then the result is
scrubbed of every cell value before it reaches data docs, dq results or messages.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# Keys of a GX result that carry cell values (personal data in users, ids elsewhere).
VALUE_KEYS = (
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "partial_unexpected_index_list",
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_index_query",
    "unexpected_rows",
    "details",
)


@dataclass
class Outcome:
    """One expectation's result, free of cell values."""

    rule: str
    severity: str  # critical | row | info
    expectation: str  # GX type, or the pandas / reader check
    passed: bool
    observed_value: str
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def rows_affected(self) -> int:
        return len(self.rows)


def run_suite(
    frame: pd.DataFrame,
    suite,
    parameters: dict,
    *,
    docs_dir: Path | None = None,
    batch_name: str = "batch",
    run_name: str = "run",
) -> tuple[list[Outcome], Path | None]:
    """Validate ``frame`` (RangeIndex) against ``suite``; returns outcomes and the docs page."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.add(suite)
    batch_definition = (
        context.data_sources.add_pandas("raw")
        .add_dataframe_asset(batch_name)
        .add_batch_definition_whole_dataframe("whole")
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=batch_name, data=batch_definition, suite=suite)
    )
    result = definition.run(
        batch_parameters={"dataframe": frame.reset_index(drop=True)},
        expectation_parameters=parameters,
        result_format={"result_format": "COMPLETE"},
    )
    outcomes = [_outcome(r) for r in result.results]
    for r in result.results:
        scrub(r.result)
    docs = _build_docs(context, result, docs_dir, suite.name, batch_name, run_name)
    return outcomes, docs


def scrub(result: dict) -> dict:
    for key in VALUE_KEYS:
        result.pop(key, None)
    return result


def _outcome(r) -> Outcome:
    cfg = r.expectation_config
    meta = cfg.meta or {}
    res = r.result or {}
    rows = np.asarray(res.get("unexpected_index_list") or [], dtype=np.int64)
    if r.exception_info and r.exception_info.get("raised_exception"):
        observed = "error: " + str(r.exception_info.get("exception_message", ""))[:200]
        passed = False
    elif "observed_value" in res and cfg.type.startswith("expect_table_"):
        observed = _table_observed(cfg.type, res, cfg.kwargs)
        passed = bool(r.success)
    else:
        observed = f"{res.get('unexpected_count', 0)} of {res.get('element_count', 0)} rows"
        passed = bool(r.success)
    return Outcome(
        rule=meta.get("rule", cfg.type),
        severity=meta.get("severity", "critical"),
        expectation=cfg.type,
        passed=passed,
        observed_value=observed,
        rows=np.unique(rows),
    )


def _table_observed(type_: str, res: dict, kwargs: dict) -> str:
    if type_ == "expect_table_columns_to_match_set":
        missing = [c for c in kwargs["column_set"] if c not in res["observed_value"]]
        return "missing: " + ", ".join(missing) if missing else "all present"
    return str(res["observed_value"])


def _build_docs(context, result, docs_dir, suite_name, batch_name, run_name) -> Path | None:
    if docs_dir is None:
        return None
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    shutil.rmtree(docs_dir, ignore_errors=True)
    context.add_data_docs_site(
        site_name="alliance",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
        run_id=RunIdentifier(run_name=run_name, run_time=result.meta.get("validation_time")),
        batch_identifier=batch_name,
    )
    context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=["alliance"], resource_identifiers=[key])
    return docs_dir / "index.html"
