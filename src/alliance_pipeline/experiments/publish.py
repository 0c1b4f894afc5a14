"""The nightly readout task: every experiment running on the night into
``mart.experiment_readout`` (its ``dt`` partition, replaced) and one HTML report per experiment
under ``reports/experiments/experiment_id=…/dt=…/readout.html``."""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import pandas as pd

from alliance_pipeline.experiments import analysis, inputs, readout
from alliance_pipeline.experiments.registry import Experiment, load_experiments
from alliance_pipeline.experiments.report import readout_html
from alliance_pipeline.lake import paths
from alliance_pipeline.privacy.min_cell import below_k, min_cell_size

log = logging.getLogger(__name__)

TABLE = "mart.experiment_readout"
COLUMNS = [
    "dt", "experiment_id", "variant", "is_control", "metric", "metric_role", "persons",
    "suppressed_cells", "mean", "total_amount", "currency", *analysis.COMPARISON_FIELDS,
    *analysis.CUPED_FIELDS, "required_persons", "srm_p_value", "srm_flag", "verdict",
]  # fmt: skip


def report_path(lake_root: Path | str, experiment_id: str, dt: str) -> Path:
    folder = paths.partition(
        paths.EXPERIMENT_REPORTS, Path(lake_root), experiment_id=experiment_id, dt=dt
    )
    return folder / "readout.html"


def _persons_note(n: int, k: int) -> str:
    """A person count for the report, under the k rule."""
    return f"fewer than k={k}" if below_k(n, k) else str(n)


def quality_notes(sums: dict[str, dict], mixed: int, k: int) -> dict[str, str]:
    mismatched = sum(s["mismatched"] for s in sums.values())
    return {
        "persons exposed to more than one variant (left out)": _persons_note(mixed, k),
        "persons whose logged variant is not their assignment": _persons_note(mismatched, k),
    }


def run_readout(
    wh, dt: str, lake_root: Path | str, k: int | None = None, registry: Path | str | None = None
) -> dict:
    """Read out every experiment running on ``dt``; returns persons per experiment and variant
    (withheld ones as None) and where each report is."""
    k = min_cell_size() if k is None else k
    night = datetime.date.fromisoformat(dt)
    running: list[Experiment] = [e for e in load_experiments(registry) if e.running_on(night)]
    rows: list[dict] = []
    reports: dict[str, str] = {}
    if running:
        con = inputs.connect(lake_root, wh, running, night)
        sums: dict[str, dict[str, dict]] = {e.id: {} for e in running}
        for s in readout.variant_sums(con, running, night):
            sums[s["experiment_id"]][s["variant"]] = s
        mixed = readout.mixed_persons(con, running, night)
        for e in running:
            got = analysis.readout_rows(e, sums[e.id], night, k)
            rows += got
            path = report_path(lake_root, e.id, dt)
            path.parent.mkdir(parents=True, exist_ok=True)
            notes = quality_notes(sums[e.id], mixed[e.id], k)
            path.write_text(readout_html(e, dt, got, notes), encoding="utf-8")
            reports[e.id] = str(path)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    loaded = wh.replace_partition(TABLE, {"dt": night}, frame)
    persons = {
        e.id: {r["variant"]: r["persons"] for r in rows
               if r["experiment_id"] == e.id and r["metric"] == e.primary_metric}
        for e in running
    }  # fmt: skip
    log.info("experiment readout %s: %d rows, experiments %s", dt, loaded, sorted(reports))
    return {"rows": loaded, "persons": persons, "reports": reports}
