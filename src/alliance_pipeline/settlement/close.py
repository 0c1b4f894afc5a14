"""The monthly close: freeze one period's statements; they never change afterwards."""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

from alliance_pipeline.settlement import frames
from alliance_pipeline.settlement.net import period_of
from alliance_pipeline.settlement.publish import settlement_as_of

log = logging.getLogger(__name__)


def close_period(
    wh, period: str, lake_root: Path | str, dt: str, closed_at: datetime.datetime | None = None
) -> dict:
    """Close ``period`` (YYYY-MM) with the clean data up to ``dt``; a closed period is left as is.

    Computes the statements exactly as the nightly run would (a period's own orders plus the
    adjustments of earlier closed periods that fall into it), writes them with status closed and
    records the periods in ops.settlement_period, in one transaction. Periods close in order:
    an earlier period with an open statement (a month a contract was in force before the first
    order, say) is closed with ``period``. ``periods`` in the result lists what was closed.
    """
    datetime.date.fromisoformat(f"{period}-01")
    if period >= period_of(datetime.date.fromisoformat(dt)):
        raise ValueError(f"settlement close: period {period} has not ended on run date {dt}")
    if wh.query("SELECT period FROM ops.settlement_period WHERE period = ?", [period]):
        log.info("settlement close: %s is already closed; nothing changes", period)
        return {"period": period, "status": "already_closed", "periods": [period]}
    _, s, _, _ = settlement_as_of(wh, dt, lake_root)
    periods = sorted({h.period for h in s.headers if h.period < period} | {period})
    closed_at = closed_at or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    headers = [h for h in s.headers if h.period in periods]
    lines = [ln for ln in s.lines if ln.period in periods]
    with wh.transaction() as tx:
        for p in periods:
            tx.replace_partition(
                "mart.settlement_statement",
                {"period": p},
                frames.header_rows([h for h in headers if h.period == p], "closed", closed_at),
            )
            tx.replace_partition(
                "mart.fct_settlement_line",
                {"period": p},
                frames.line_rows([ln for ln in lines if ln.period == p], "closed"),
            )
            tx.execute(
                "INSERT INTO ops.settlement_period (period, status, closed_at, closed_through) VALUES (?, 'closed', ?, ?)",
                [p, closed_at, datetime.date.fromisoformat(dt)],
            )
    log.info(
        "settlement close: %s closed with %d statements, %d lines",
        ", ".join(periods),
        len(headers),
        len(lines),
    )
    return {
        "period": period,
        "status": "closed",
        "periods": periods,
        "statements": len(headers),
        "lines": len(lines),
    }
