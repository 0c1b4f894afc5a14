"""``validate_batch``: the gate between the raw zone and everything downstream.

Per (source, dataset, dt), in memory bounded by ``chunk_rows`` whatever the delivery's size:

1. survey the raw partition (delivery.py): unreadable files, rows, columns, and the key of every
   row into DuckDB (uniqueness.py), its text cells kept aside as Arrow files (read again, not
   parsed again), so that what only the whole delivery shows is known first:
   the reader's batch problems, the manifest's row counts, the columns, the row-count band and
   the duplicated keys;
2. read it again a chunk at a time: the reader's typing, the committed GX suite (its key rule
   taking the delivery's duplicates) and the pandas rules; passed rows go to validated/, the
   rest to quarantine/ as they come (quarantine.py), the counts add up (tally.py);
3. judge the bad-row share on the whole; a batch rejected only then has its quarantine rebuilt
   with every row (the rules of each were kept aside, a chunk per Parquet row group).

Then save the dq results and the scrubbed GX result (data docs are built once per night from
those, see docs.py), and raise ValidationFailed when a critical rule failed. A delivery of one
chunk is checked exactly as a whole read would be.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alliance_pipeline.config import ValidationConfig, pipeline_config
from alliance_pipeline.contracts import Dataset
from alliance_pipeline.contracts import dataset as contract
from alliance_pipeline.delivery import Delivery, raw_chunks, survey
from alliance_pipeline.lake.paths import raw_partition, validated_partition
from alliance_pipeline.manifest import file_name
from alliance_pipeline.readers import arrow_schema, to_arrow, to_contract_types
from alliance_pipeline.registry import Source
from alliance_pipeline.registry import source as registry_source
from alliance_pipeline.settings import lake_root
from alliance_pipeline.validation.chunk_checks import (
    pandas_outcomes,
    reader_order,
    reader_outcomes,
    row_rules,
)
from alliance_pipeline.validation.docs import clear_gx_result, docs_index, save_gx_result
from alliance_pipeline.validation.gx_merge import GxResults
from alliance_pipeline.validation.gx_run import Outcome, gx_view, run_suite
from alliance_pipeline.validation.policy import (
    row_count_band,
    too_many_bad_rows,
    trailing_row_counts,
    window,
)
from alliance_pipeline.validation.quarantine import (
    ParquetRows,
    QuarantineOutput,
    ValidatedOutput,
)
from alliance_pipeline.validation.references import known_ids, reference_source
from alliance_pipeline.validation.results import (
    BatchResult,
    DqRow,
    QuarantineEntry,
    ValidationFailed,
    save_result,
)
from alliance_pipeline.validation.suites import load_suite
from alliance_pipeline.validation.tally import Tally
from alliance_pipeline.validation.uniqueness import DuplicateKeys

RULES = pa.schema([pa.field("_rules", pa.string())])
SUPERSEDED = "superseded_by_later"


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
    clear_gx_result(source_id, dataset, dt)
    with tempfile.TemporaryDirectory(prefix="alliance-validate-") as work:
        keys = DuplicateKeys(ds_contract, Path(work))
        try:
            return _validate(src, ds_contract, dt, run_id, now, policy, keys, Path(work))
        finally:
            keys.close()


def _validate(src, ds_contract, dt, run_id, now, policy, keys, work) -> BatchResult:
    source_id, dataset = src.id, ds_contract.name
    (work / "frames").mkdir()
    delivery = survey(
        raw_partition(source_id, dataset, dt),
        src,
        ds_contract,
        dt,
        policy.chunk_rows,
        on_frame=lambda frame: keys.add(_key_view(frame, ds_contract, keys.columns)),
        keep=work / "frames",
    )
    first = _delivery_outcomes(delivery, ds_contract)
    whole = None if delivery.problems else _whole(delivery, src, ds_contract, dt, now, policy, keys)
    rejected_first = any(o.severity == "critical" and not o.passed for o in first) or bool(
        whole and whole.rejects
    )
    rows_in = delivery.rows if not delivery.problems else max(delivery.rows, delivery.manifest.rows)
    extra = delivery.extra_columns(ds_contract)
    quarantine = QuarantineOutput(source_id, dataset, dt, delivery.raw_columns)
    validated = None
    if not rejected_first:
        validated = ValidatedOutput(source_id, dataset, dt, arrow_schema(ds_contract, extra))
    spill = ParquetRows(work / "rules.parquet", RULES)
    try:
        tally, gx_results, bad_rows, superseded_rows = _check_chunks(
            delivery, ds_contract, whole, keys, policy.chunk_rows, (validated, quarantine, spill)
        )
    except BaseException:
        quarantine.discard()
        if validated is not None:
            validated.discard()
        raise

    if whole is not None:
        for rule, (passed, observed, affected) in whole.judged(delivery.rows).items():
            tally.judge(rule, passed, observed, affected)
    outcomes = first + tally.outcomes()
    # a superseded row is an earlier version of a record, not a broken one
    if too_many_bad_rows(policy, bad_rows - superseded_rows, delivery.rows):
        share = (
            f"{bad_rows - superseded_rows} of {delivery.rows} rows > {policy.max_bad_row_share:.2%}"
        )
        share += "; " + _main_row_rules(outcomes)
        outcomes.append(Outcome("bad_row_share", "critical", "policy", False, share))
    failed = [o for o in outcomes if o.severity == "critical" and not o.passed]
    rejected = bool(failed)

    ran_gx = whole is not None and policy.data_docs
    if ran_gx:
        judged = {
            rule: (passed, None if rule == "row_count_band" else affected)
            for rule, (passed, _, affected) in whole.judged(delivery.rows).items()
        }
        gx_result = gx_results.result(delivery.rows, judged, whole.band)
        save_gx_result(gx_result, source_id, dataset, dt, run_id)
    if rejected:
        batch = {
            "batch_rejected": True,
            "rules": [o.rule for o in failed],
            "rows": rows_in,
            "observed": {o.rule: o.observed_value for o in failed},
        }
        files = [delivery.folder / file_name(f.key) for f in delivery.manifest.files]
        files = files if delivery.problems else []
        if validated is None:
            shutil.rmtree(validated_partition(source_id, dataset, dt), ignore_errors=True)
            qpath = quarantine.finish(batch, files)
        else:
            validated.remove()
            quarantine.discard()
            qpath = _quarantine_every_row(delivery, policy.chunk_rows, spill.path, batch)
        passed_rows = 0
    else:
        validated.commit()
        qpath = quarantine.finish()
        passed_rows = validated.rows.rows

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
        quarantine=_index(outcomes, failed, rows_in, str(qpath.relative_to(lake_root()))),
        data_docs_path=str(docs_index(dt)) if ran_gx else None,
        validated_path=None if rejected else str(validated_partition(source_id, dataset, dt)),
        quarantine_path=str(qpath),
    )
    if result.rows_quarantined != (rows_in if rejected else bad_rows):
        raise AssertionError(f"{source_id}/{dataset} dt={dt}: quarantine count does not reconcile")
    save_result(result)
    if rejected:
        raise ValidationFailed(result, [f"{o.rule} ({o.observed_value})" for o in failed])
    return result


def _check_chunks(delivery, ds_contract, whole, keys, chunk_rows, outputs):
    """Judge and write the delivery a chunk at a time; returns the tally, the GX results and
    the number of bad rows. Without ``validated`` (a batch already rejected) every row goes to
    quarantine; otherwise the rules of every row are also kept aside (``spill``)."""
    validated, quarantine, spill = outputs
    tally, gx_results = Tally(reader_order(ds_contract), rows=delivery.rows), GxResults()
    bad_rows = superseded_rows = offset = 0
    for raw in raw_chunks(delivery, chunk_rows):
        typed, failures = to_contract_types(raw, ds_contract)
        chunk = reader_outcomes(failures)
        tally.add("reader", chunk)
        if whole is not None:
            gx_outcomes, gx_result = run_suite(
                gx_view(typed, ds_contract), whole.suite, whole.params
            )
            pd_outcomes = pandas_outcomes(typed, ds_contract, whole.known)
            if whole.duplicates is not None:
                _take_duplicates(gx_outcomes, keys.rows(offset, offset + len(raw)))
                if ds_contract.latest_by:
                    later = keys.rows(offset, offset + len(raw), superseded=True)
                    pd_outcomes.append(_superseded(ds_contract.latest_by, later, len(raw)))
            tally.add("gx", gx_outcomes)
            tally.add("pandas", pd_outcomes)
            gx_results.add(gx_result, len(raw))
            chunk += gx_outcomes + pd_outcomes
        rules = row_rules(chunk, len(raw))
        bad = (rules != "").to_numpy()
        bad_rows += int(bad.sum())
        superseded_rows += int(rules[bad].str.fullmatch(SUPERSEDED + ":[^;]*").sum())
        if validated is None:
            quarantine.write(raw, rules.where(bad, "batch_rejected"))
        else:
            passed = typed.loc[~bad].reset_index(drop=True)
            validated.write(to_arrow(passed, ds_contract, delivery.extra_columns(ds_contract)))
            quarantine.write(raw.loc[bad], rules[bad])
            spill.write(pa.table({"_rules": rules.to_numpy()}, schema=RULES))
        offset += len(raw)
    spill.close()
    return tally, gx_results, bad_rows, superseded_rows


def _delivery_outcomes(delivery: Delivery, ds_contract: Dataset) -> list[Outcome]:
    """The reader's findings on the whole delivery: unreadable files, the manifest's row
    counts, extra columns."""
    out = [Outcome(rule, "critical", "reader", False, detail) for rule, detail in delivery.problems]
    if not delivery.problems:
        mismatched = []
        for f in delivery.manifest.files:
            name = file_name(f.key)
            read = delivery.rows_per_file.get(name, 0)
            if read != f.rows:
                mismatched.append(f"{name}: manifest {f.rows}, read {read}")
        out.append(
            Outcome(
                "manifest_row_count",
                "critical",
                "reader",
                not mismatched,
                "; ".join(mismatched) or f"{delivery.rows} rows as listed",
            )
        )
    if delivery.extra_columns(ds_contract):
        observed = delivery.extra_columns_observed(ds_contract)
        out.append(Outcome("extra_columns", "info", "reader", True, observed))
    return out


@dataclass
class WholeDelivery:
    """What the suite is run with, and what only the whole delivery decides."""

    suite: object
    params: dict
    known: dict[str, set[str] | None]  # referencing column -> the ids it may hold
    band: tuple[int, int]
    missing: list[str]  # contract columns not delivered
    duplicates: int | None  # rows of duplicated keys; None: a key column is missing
    rows: int

    @property
    def rejects(self) -> bool:
        return bool(self.missing) or not self.band[0] <= self.rows <= self.band[1]

    def judged(self, rows: int) -> dict[str, tuple[bool, str, int]]:
        """rule -> (passed, observed value, rows affected), as GX reports them on one frame."""
        out = {
            "columns_present": (
                not self.missing,
                "missing: " + ", ".join(self.missing) if self.missing else "all present",
                0,
            ),
            "row_count_band": (self.band[0] <= rows <= self.band[1], str(rows), 0),
        }
        if self.duplicates is not None:
            d = self.duplicates
            out["unique_key"] = (not d, f"{d} of {rows} rows", d)
        return out


def _whole(delivery, src: Source, ds_contract: Dataset, dt, now, policy, keys) -> WholeDelivery:
    start, end = window(policy, dt, src.timezone, now)
    nights = policy.row_count_band.trailing_nights
    history = trailing_row_counts(src, ds_contract.name, dt, nights) if ds_contract.steady else []
    band = row_count_band(policy, history)
    # In chunks, the band is judged on the whole delivery: a chunk is held to no band.
    chunk_band = band if delivery.rows <= policy.chunk_rows else (0, 2**62)
    params = {
        "row_count_min": chunk_band[0],
        "row_count_max": chunk_band[1],
        "window_start": pd.Timestamp(start),
        "window_end": pd.Timestamp(end),
        "now": pd.Timestamp(now).tz_convert("UTC"),
    }
    known = {}
    for column, target in ds_contract.references.items():
        ref_dataset, ref_column = target.split(".")
        known[column] = known_ids(ref_dataset, ref_column, reference_source(src, ref_dataset), dt)
    keyed = all(c in delivery.columns for c in ds_contract.key)
    return WholeDelivery(
        suite=load_suite(ds_contract.name),
        params=params,
        known=known,
        band=band,
        missing=delivery.missing_columns(ds_contract),
        duplicates=keys.find() if keyed else None,
        rows=delivery.rows,
    )


def _key_view(frame: pd.DataFrame, ds_contract: Dataset, columns: list[str]) -> pd.DataFrame:
    """``columns`` (the key's) of a frame of text cells, typed and as GX sees them (absent:
    null)."""
    present = [c for c in columns if c in frame.columns]
    typed, _ = to_contract_types(frame[present], ds_contract)
    return gx_view(typed, ds_contract).reindex(columns=columns)


def _superseded(column: str, rows, n: int) -> Outcome:
    """Rows of a key that a row of the same key with a later ``column`` supersedes."""
    observed = f"{len(rows)} of {n} rows"
    rule = f"{SUPERSEDED}:{column}"
    return Outcome(rule, "row", "pandas", not len(rows), observed, rows, unexpected=len(rows))


def _take_duplicates(gx_outcomes: list[Outcome], rows) -> None:
    """The key rule of a chunk flags the chunk's rows whose key is duplicated in the delivery."""
    for o in gx_outcomes:
        if o.rule == "unique_key" and not o.observed_value.startswith("error"):
            o.rows, o.passed, o.unexpected = rows, not len(rows), len(rows)


def _quarantine_every_row(delivery: Delivery, chunk_rows: int, rules_file: Path, batch: dict):
    """A batch rejected once its rows were judged: every row to quarantine, with the rules it
    broke (kept aside a chunk per row group) or ``batch_rejected``."""
    quarantine = QuarantineOutput(
        delivery.source.id, delivery.manifest.dataset, delivery.manifest.dt, delivery.raw_columns
    )
    kept = pq.ParquetFile(rules_file)
    try:
        for i, raw in enumerate(raw_chunks(delivery, chunk_rows)):
            if not len(raw):
                continue
            rules = kept.read_row_group(i).column("_rules").to_pandas()
            quarantine.write(raw, rules.where(rules != "", "batch_rejected"))
    except BaseException:
        quarantine.discard()
        raise
    return quarantine.finish(batch)


def _main_row_rules(outcomes: list[Outcome], shown: int = 3) -> str:
    """The row rules that broke most rows, with their counts: what a rejection by share is."""
    broken = [o for o in outcomes if o.severity == "row" and not o.passed and o.rows_affected]
    broken.sort(key=lambda o: -o.rows_affected)
    named = ", ".join(f"{o.rule} ({o.rows_affected} rows)" for o in broken[:shown])
    more = f" and {len(broken) - shown} more rules" if len(broken) > shown else ""
    return f"mainly {named}{more}" if broken else "no row rule named"


def _dq_row(o: Outcome) -> DqRow:
    engine = "gx" if o.expectation.startswith("expect_") else o.expectation
    return DqRow(o.rule, o.severity, o.observed_value, o.passed, o.rows_affected, engine)


def _index(outcomes, failed, rows_in, path) -> list[QuarantineEntry]:
    if failed:
        return [QuarantineEntry(o.rule, rows_in, path, True) for o in failed]
    return [
        QuarantineEntry(o.rule, o.rows_affected, path, False)
        for o in outcomes
        if o.severity == "row" and not o.passed and o.rows_affected
    ]
