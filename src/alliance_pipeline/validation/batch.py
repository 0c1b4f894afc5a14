"""``validate_batch``: the gate between the raw zone and everything downstream.

Per (source, dataset, dt): read the raw partition (readers), run the committed GX suite and the
pandas rules, then write passed rows to validated/ and the rest to quarantine/, save the dq
results and the scrubbed GX result (data docs are built once per night from those, see docs.py),
and raise ValidationFailed when a critical rule failed.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from alliance_pipeline.config import ValidationConfig, pipeline_config
from alliance_pipeline.contracts import dataset as contract
from alliance_pipeline.lake.paths import raw_partition, validated_partition
from alliance_pipeline.readers import ReadResult, read_delivery, to_arrow
from alliance_pipeline.registry import source as registry_source
from alliance_pipeline.settings import lake_root
from alliance_pipeline.validation import rules as R
from alliance_pipeline.validation.docs import clear_gx_result, docs_index, save_gx_result
from alliance_pipeline.validation.gx_run import Outcome, gx_view, run_suite
from alliance_pipeline.validation.policy import (
    row_count_band,
    severity_of,
    too_many_bad_rows,
    trailing_row_counts,
    window,
)
from alliance_pipeline.validation.quarantine import write_quarantine, write_validated
from alliance_pipeline.validation.references import known_ids, reference_source
from alliance_pipeline.validation.results import (
    BatchResult,
    DqRow,
    QuarantineEntry,
    ValidationFailed,
    save_result,
)
from alliance_pipeline.validation.suites import load_suite


def validate_batch(
    source_id: str,
    dataset: str,
    dt: str,
    run_id: str,
    *,
    now: datetime,
    policy: ValidationConfig | None = None,
) -> BatchResult:
    """Validate ``raw/{source_id}/{dataset}/dt={dt}/``; ``now`` is the run's data interval end.

    Writes validated/ and quarantine/ (replacing them), reports/dq/ and reports/data_docs/.
    Raises ValidationFailed (result attached) after writing, when the batch is rejected.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    policy = policy or pipeline_config().validation
    src, ds_contract = registry_source(source_id), contract(dataset)
    read = read_delivery(raw_partition(source_id, dataset, dt), src, ds_contract, dt)

    outcomes = _reader_outcomes(read)
    clear_gx_result(source_id, dataset, dt)
    ran_gx = False
    if not read.batch_problems:
        start, end = window(policy, dt, src.timezone, now)
        rc_min, rc_max = row_count_band(
            policy, trailing_row_counts(src, dataset, dt, policy.row_count_band.trailing_nights)
        )
        params = {
            "row_count_min": rc_min,
            "row_count_max": rc_max,
            "window_start": pd.Timestamp(start),
            "window_end": pd.Timestamp(end),
            "now": pd.Timestamp(now).tz_convert("UTC"),
        }
        gx_outcomes, gx_result = run_suite(
            gx_view(read.typed, ds_contract), load_suite(dataset), params
        )
        if policy.data_docs:
            save_gx_result(gx_result, source_id, dataset, dt, run_id)
            ran_gx = True
        outcomes += gx_outcomes + _pandas_outcomes(read.typed, src, ds_contract, dt)

    rows_in = read.rows if not read.batch_problems else max(read.rows, read.manifest.rows)
    row_rules = _row_rules(outcomes, len(read.raw))
    bad = row_rules != ""
    if too_many_bad_rows(policy, int(bad.sum()), len(read.raw)):
        share = f"{int(bad.sum())} of {len(read.raw)} rows > {policy.max_bad_row_share:.2%}"
        outcomes.append(Outcome("bad_row_share", "critical", "policy", False, share))
    failed = [o for o in outcomes if o.severity == "critical" and not o.passed]
    rejected = bool(failed)

    if rejected:
        quarantined_rows = read.raw
        rules = row_rules.where(bad, "batch_rejected")
        write_validated(None, source_id, dataset, dt)
        batch = {
            "batch_rejected": True,
            "rules": [o.rule for o in failed],
            "rows": rows_in,
            "observed": {o.rule: o.observed_value for o in failed},
        }
        raw_dir = raw_partition(source_id, dataset, dt)
        files = [raw_dir / f.key.rsplit("/", 1)[-1] for f in read.manifest.files]
        qpath = write_quarantine(
            quarantined_rows,
            rules,
            source_id,
            dataset,
            dt,
            batch=batch,
            raw_files=files if read.batch_problems else [],
        )
        passed_rows = 0
    else:
        passed = read.typed.loc[~bad].reset_index(drop=True)
        write_validated(to_arrow(passed, ds_contract, read.extra_columns), source_id, dataset, dt)
        qpath = write_quarantine(read.raw.loc[bad], row_rules[bad], source_id, dataset, dt)
        passed_rows = len(passed)

    result = BatchResult(
        run_id=run_id,
        source=source_id,
        dataset=dataset,
        dt=dt,
        rows_in=rows_in,
        rows_passed=passed_rows,
        rows_quarantined=rows_in - passed_rows,
        batch_rejected=rejected,
        failed_critical=[o.rule for o in failed],
        expectations=[_dq_row(o) for o in outcomes],
        # Relative to the lake root: the index reads the same wherever the lake is mounted.
        quarantine=_index(outcomes, failed, rows_in, str(qpath.relative_to(lake_root())), bad),
        data_docs_path=str(docs_index(dt)) if ran_gx else None,
        validated_path=None if rejected else str(validated_partition(source_id, dataset, dt)),
        quarantine_path=str(qpath),
    )
    if result.rows_quarantined != (rows_in if rejected else int(bad.sum())):
        raise AssertionError(f"{source_id}/{dataset} dt={dt}: quarantine count does not reconcile")
    save_result(result)
    if rejected:
        raise ValidationFailed(result, [f"{o.rule} ({o.observed_value})" for o in failed])
    return result


def _reader_outcomes(read: ReadResult) -> list[Outcome]:
    out = [
        Outcome(rule, "critical", "reader", False, detail) for rule, detail in read.batch_problems
    ]
    if read.manifest is not None and not read.batch_problems:
        mismatched = [
            f"{f.key.rsplit('/', 1)[-1]}: manifest {f.rows}, read {read.rows_per_file.get(f.key.rsplit('/', 1)[-1], 0)}"
            for f in read.manifest.files
            if read.rows_per_file.get(f.key.rsplit("/", 1)[-1], 0) != f.rows
        ]
        out.append(
            Outcome(
                "manifest_row_count",
                "critical",
                "reader",
                not mismatched,
                "; ".join(mismatched) or f"{read.rows} rows as listed",
            )
        )
    if read.extra_columns:
        out.append(
            Outcome(
                "extra_columns", "info", "reader", True, "added: " + ", ".join(read.extra_columns)
            )
        )
    for rule, mask in read.row_failures.items():
        rows = np.flatnonzero(mask)
        out.append(
            Outcome(
                rule, severity_of(rule), "reader", False, f"{len(rows)} of {len(mask)} rows", rows
            )
        )
    return out


def _pandas_outcomes(typed: pd.DataFrame, src, ds_contract, dt: str) -> list[Outcome]:
    checks: dict[str, np.ndarray] = {}
    for col in ds_contract.columns:
        if col.format in R.FORMAT_CHECKS and col.name in typed.columns:
            for name, mask in R.FORMAT_CHECKS[col.format](typed[col.name]).items():
                checks[f"{name}:{col.name}"] = mask
    for column, target in ds_contract.references.items():
        if column not in typed.columns:
            continue
        ref_dataset, ref_column = target.split(".")
        known = known_ids(ref_dataset, ref_column, reference_source(src, ref_dataset), dt)
        checks[f"ref:{column}"] = R.reference_check(typed[column], known)
    out = []
    for rule, mask in checks.items():
        info = rule.split(":", 1)[0] in R.OBSERVATIONS
        out.append(
            Outcome(
                rule,
                "info" if info else "row",
                "pandas",
                info or not mask.any(),
                f"{int(mask.sum())} of {len(mask)} rows",
                np.flatnonzero(mask),
            )
        )
    return out


def _row_rules(outcomes: list[Outcome], n: int) -> pd.Series:
    """Per row, the ';'-joined row rules it broke ('' when none)."""
    names = [[] for _ in range(n)]
    for o in outcomes:
        if o.severity == "row" and not o.passed:
            for i in o.rows:
                names[i].append(o.rule)
    return pd.Series([";".join(r) for r in names], dtype=object)


def _dq_row(o: Outcome) -> DqRow:
    engine = "gx" if o.expectation.startswith("expect_") else o.expectation
    return DqRow(o.rule, o.severity, o.observed_value, o.passed, o.rows_affected, engine)


def _index(outcomes, failed, rows_in, path, bad) -> list[QuarantineEntry]:
    if failed:
        return [QuarantineEntry(o.rule, rows_in, path, True) for o in failed]
    return [
        QuarantineEntry(o.rule, o.rows_affected, path, False)
        for o in outcomes
        if o.severity == "row" and not o.passed and o.rows_affected
    ]
