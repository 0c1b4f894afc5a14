"""The gate's parameters from ``config/pipeline.yml`` (section ``validation``) and the run-time
values of the suite parameters: the partition's time window and the row-count band.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alliance_pipeline.lake.paths import raw_partition
from alliance_pipeline.manifest import MANIFEST_NAME, ManifestError, parse_manifest
from alliance_pipeline.registry import Source
from alliance_pipeline.settings import pipeline_config

# Checks outside GX and the reader's findings: rule prefix -> severity.
CRITICAL_RULES = (
    "encoding",
    "file_unreadable",
    "file_empty",
    "manifest_row_count",
    "bad_row_share",
)
INFO_RULES = ("extra_columns",)


def severity_of(rule: str) -> str:
    name = rule.split(":", 1)[0]
    if name in CRITICAL_RULES:
        return "critical"
    return "info" if name in INFO_RULES else "row"


@dataclass(frozen=True)
class Policy:
    late_tolerance: timedelta
    early_tolerance: timedelta
    max_bad_row_share: float
    min_bad_rows: int
    trailing_nights: int
    min_history_nights: int
    band_lower: float
    band_upper: float
    band_slack_rows: int
    min_rows: int
    data_docs: bool

    @classmethod
    def from_config(cls, cfg: dict | None = None) -> Policy:
        cfg = cfg if cfg is not None else pipeline_config("validation")
        band = cfg["row_count_band"]
        return cls(
            late_tolerance=timedelta(hours=cfg["late_tolerance_hours"]),
            early_tolerance=timedelta(minutes=cfg["early_tolerance_minutes"]),
            max_bad_row_share=float(cfg["max_bad_row_share"]),
            min_bad_rows=int(cfg["min_bad_rows"]),
            trailing_nights=int(band["trailing_nights"]),
            min_history_nights=int(band["min_history_nights"]),
            band_lower=float(band["lower"]),
            band_upper=float(band["upper"]),
            band_slack_rows=int(band.get("slack_rows", 0)),
            min_rows=int(cfg["min_rows"]),
            data_docs=bool(cfg.get("data_docs", True)),
        )

    def window(self, ds: str, timezone: str, now: datetime) -> tuple[datetime, datetime]:
        """The partition's day in the source's timezone, widened by the tolerances, as UTC."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(date.fromisoformat(ds), time(), zone)
        end = start + timedelta(days=1)
        utc = ZoneInfo("UTC")
        return (
            (start - self.late_tolerance).astimezone(utc),
            min(end + self.early_tolerance, now).astimezone(utc),
        )

    def row_count_band(self, history: list[int]) -> tuple[int, int]:
        """[min, max] rows for tonight given the trailing nights' row counts: the median times
        [lower, upper], widened by ``slack_rows`` so that a source with a handful of rows a
        night is not judged by ratios alone."""
        if len(history) < self.min_history_nights:
            return self.min_rows, 2**62
        median = statistics.median(history)
        return (
            max(self.min_rows, math.floor(median * self.band_lower) - self.band_slack_rows),
            max(self.min_rows, math.ceil(median * self.band_upper) + self.band_slack_rows),
        )

    def too_many_bad_rows(self, bad: int, rows: int) -> bool:
        """A share of broken rows rejects the batch once enough rows are broken: in a small
        daily increment, a couple of bad rows are quarantined and the rest goes on."""
        return bad >= self.min_bad_rows and bad / rows > self.max_bad_row_share


def trailing_row_counts(source: Source, dataset: str, ds: str, nights: int) -> list[int]:
    """Row counts of the manifests of the previous ``nights`` nights found in the raw zone."""
    counts = []
    day = date.fromisoformat(ds)
    for back in range(1, nights + 1):
        dt = (day - timedelta(days=back)).isoformat()
        path = raw_partition(source.id, dataset, dt) / MANIFEST_NAME
        if not path.exists():
            continue
        try:
            manifest = parse_manifest(
                path.read_bytes(),
                source=source.id,
                dataset=dataset,
                dt=dt,
                prefix=source.landing_key(dataset, dt),
            )
        except ManifestError:
            continue
        counts.append(manifest.rows)
    return counts
