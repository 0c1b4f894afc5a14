"""What one batch's validation produced: counts, dq rows, quarantine index rows.

Nothing here holds a cell value: observed values are counts, column names or file names.
Results are also saved as JSON under ``reports/dq/`` so a publishing task can load the results
of a batch whose validation task failed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from alliance_pipeline.lake import paths


@dataclass
class DqRow:
    expectation: str  # the rule id, e.g. not_null:order_id, row_count_band, ref:content_id
    severity: str  # critical | row | info
    observed_value: str
    passed: bool
    rows_affected: int
    engine: str  # gx | pandas | reader


@dataclass
class QuarantineEntry:
    rule: str
    rows: int
    path: str
    batch_rejected: bool


@dataclass
class BatchResult:
    run_id: str
    source: str
    dataset: str
    dt: str
    rows_in: int
    rows_passed: int
    rows_quarantined: int
    batch_rejected: bool
    failed_critical: list[str] = field(default_factory=list)
    expectations: list[DqRow] = field(default_factory=list)
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    data_docs_path: str | None = None
    validated_path: str | None = None
    quarantine_path: str | None = None

    def __post_init__(self):
        if self.rows_in != self.rows_passed + self.rows_quarantined:
            raise AssertionError(
                f"source={self.source} dataset={self.dataset} dt={self.dt}: rows in "
                f"{self.rows_in} != passed {self.rows_passed} + quarantined "
                f"{self.rows_quarantined}"
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, body: dict) -> BatchResult:
        body = dict(body)
        body["expectations"] = [DqRow(**r) for r in body.get("expectations", [])]
        body["quarantine"] = [QuarantineEntry(**q) for q in body.get("quarantine", [])]
        return cls(**body)

    def summary(self) -> str:
        state = "REJECTED" if self.batch_rejected else "passed"
        return (
            f"{self.source}/{self.dataset} dt={self.dt}: {state}; rows in {self.rows_in}, "
            f"passed {self.rows_passed}, quarantined {self.rows_quarantined}"
            + (f"; failed: {', '.join(self.failed_critical)}" if self.failed_critical else "")
        )


class ValidationFailed(Exception):
    """A critical expectation failed: the batch is quarantined. ``result`` has the details."""

    def __init__(self, result: BatchResult, details: list[str]):
        self.result = result
        super().__init__(
            f"validation failed for source={result.source} dataset={result.dataset} "
            f"dt={result.dt}: critical expectations failed: {'; '.join(details)}; "
            f"{result.rows_in} rows quarantined"
        )


def result_path(source: str, dataset: str, dt: str) -> Path:
    return paths.partition(paths.DQ_REPORTS, dt=dt) / f"{source}.{dataset}.json"


def save_result(result: BatchResult) -> Path:
    path = result_path(result.source, result.dataset, result.dt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_dict(), indent=2, sort_keys=True), encoding="utf-8")
    return path


def load_results(dt: str) -> list[BatchResult]:
    """Every batch result saved for a partition date (passed and rejected)."""
    folder = paths.partition(paths.DQ_REPORTS, dt=dt)
    return [
        BatchResult.from_dict(json.loads(p.read_text(encoding="utf-8")))
        for p in sorted(folder.glob("*.json"))
    ]
