"""The gate's rules over its parameters (``alliance_pipeline.config.ValidationConfig``) and the
run-time values of the suite parameters: the partition's time window and the row-count band.
"""

from __future__ import annotations

import math
import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alliance_pipeline.config import ValidationConfig
from alliance_pipeline.lake.paths import raw_partition
from alliance_pipeline.manifest import MANIFEST_NAME, ManifestError, parse_manifest
from alliance_pipeline.registry import Source

# Checks outside GX and the reader's findings: rule prefix -> severity.
CRITICAL_RULES = (
    "encoding",
    "file_unreadable",
    "file_empty",
    "duplicate_column",
    "header_missing",
    "manifest_row_count",
    "bad_row_share",
)
INFO_RULES = ("extra_columns",)


def severity_of(rule: str) -> str:
    name = rule.split(":", 1)[0]
    if name in CRITICAL_RULES:
        return "critical"
    return "info" if name in INFO_RULES else "row"


def window(
    policy: ValidationConfig, dt: str, timezone: str, now: datetime
) -> tuple[datetime, datetime]:
    """The partition's day in the source's timezone, widened by the tolerances, as UTC."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(date.fromisoformat(dt), time(), zone)
    end = start + timedelta(days=1)
    utc = ZoneInfo("UTC")
    return (
        (start - timedelta(hours=policy.late_tolerance_hours)).astimezone(utc),
        min(end + timedelta(minutes=policy.early_tolerance_minutes), now).astimezone(utc),
    )


def row_count_band(policy: ValidationConfig, history: list[int]) -> tuple[int, int]:
    """[min, max] rows for tonight given the trailing nights' row counts: the median times
    [lower, upper], widened by ``slack_rows`` so that a source with a handful of rows a
    night is not judged by ratios alone."""
    band = policy.row_count_band
    if len(history) < band.min_history_nights:
        return policy.min_rows, 2**62
    median = statistics.median(history)
    return (
        max(policy.min_rows, math.floor(median * band.lower) - band.slack_rows),
        max(policy.min_rows, math.ceil(median * band.upper) + band.slack_rows),
    )


def too_many_bad_rows(policy: ValidationConfig, bad: int, rows: int) -> bool:
    """A share of broken rows rejects the batch once enough rows are broken: in a small
    daily increment, a couple of bad rows are quarantined and the rest goes on."""
    return bad >= policy.min_bad_rows and bad / rows > policy.max_bad_row_share


def trailing_row_counts(source: Source, dataset: str, dt: str, nights: int) -> list[int]:
    """Row counts of the manifests of the previous ``nights`` nights found in the raw zone."""
    counts = []
    day = date.fromisoformat(dt)
    for back in range(1, nights + 1):
        earlier = (day - timedelta(days=back)).isoformat()
        path = raw_partition(source.id, dataset, earlier) / MANIFEST_NAME
        if not path.exists():
            continue
        try:
            manifest = parse_manifest(
                path.read_bytes(),
                source=source.id,
                dataset=dataset,
                dt=earlier,
                prefix=source.landing_key(dataset, earlier),
            )
        except ManifestError:
            continue
        counts.append(manifest.rows)
    return counts
