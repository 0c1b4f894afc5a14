"""The nightly settlement run: compute from the clean zone, publish the marts atomically.

Closed statements (periods in ops.settlement_period) are read, never rewritten.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import pandas as pd

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.privacy.min_cell import min_cell_size
from alliance_pipeline.settlement import frames
from alliance_pipeline.settlement.engine import Settlement, compute
from alliance_pipeline.settlement.growth import GROWTH_COLUMNS, campaign_growth
from alliance_pipeline.settlement.inputs import CleanInputs, load_inputs
from alliance_pipeline.settlement.metrics import campaign_daily, first_orders
from alliance_pipeline.settlement.statements import Line

log = logging.getLogger(__name__)


def _closed(wh_or_tx) -> set[str]:
    return {
        r[0]
        for r in wh_or_tx.query("SELECT period FROM ops.settlement_period WHERE status = 'closed'")
    }


def settled_through(wh_or_tx) -> str | None:
    """The date the settlement marts were last computed up to (None before the first night)."""
    (latest,) = wh_or_tx.query("SELECT max(as_of) FROM ops.settlement_night")[0]
    return None if latest is None else latest.isoformat()


def closed_state(wh) -> tuple[set[str], list[Line]]:
    """The closed periods and every line of every closed statement."""
    periods = _closed(wh)
    cols = ", ".join(frames.LINE_COLUMNS)
    rows = wh.query(
        f"SELECT {cols} FROM mart.fct_settlement_line WHERE statement_status = 'closed'"
    )
    return periods, frames.lines_from_rows(frames.LINE_COLUMNS, rows)


def settlement_as_of(wh, dt: str, lake_root: Path | str, periods: set[str] | None = None):
    """(inputs, settlement, closed periods, closed lines) for run date ``dt``."""
    inputs = load_inputs(lake_root, dt)
    closed_periods, closed_lines = closed_state(wh)
    half_life = pipeline_config().settlement.time_decay_half_life_days
    s = compute(inputs, dt, closed_periods, closed_lines, periods, half_life)
    return inputs, s, closed_periods, closed_lines


def marts(
    inputs: CleanInputs, s: Settlement, closed_lines: list[Line], k: int
) -> dict[str, pd.DataFrame]:
    """Every mart that is replaced in full each night."""
    partners = dict(
        zip(inputs.campaigns["campaign_id"], inputs.campaigns["partner_id"], strict=True)
    )
    daily, summary = campaign_daily(
        s, inputs.campaign_delivery, [*closed_lines, *s.lines], partners, k
    )
    new_counts: dict[str, dict[datetime.date, int]] = {}
    firsts = set(first_orders(s).values())
    for c in s.credits:
        if c.weight > 0:
            per = new_counts.setdefault(c.campaign_id, {})
            per.setdefault(c.order.order_date, 0)
            if c.order.key in firsts:
                per[c.order.order_date] += 1
    growth = pd.DataFrame.from_records(
        campaign_growth(new_counts, summary, k), columns=GROWTH_COLUMNS
    )
    orders, attribution = frames.order_rows(s)
    days = {o.order_date for o in s.orders} | set(daily["date"])
    return {
        "mart.fct_order": orders,
        "mart.fct_order_attribution": attribution,
        "mart.fct_campaign_daily": daily,
        "mart.campaign_growth": growth.astype(object).where(growth.notna(), None),
        "mart.dim_campaign": frames.dim_campaign(inputs.campaigns),
        "mart.dim_content": frames.dim_content(inputs.catalog),
        "mart.dim_date": frames.dim_date(days),
    }


def run_settlement(wh, dt: str, lake_root: Path | str, k: int | None = None) -> dict:
    """Nightly: attribution, net revenue, open statements, metrics and growth, published at once.

    Reads clean/{orders,events,campaigns,contracts,fx_rates,campaign_delivery,catalog} with
    dt <= as_of; rewrites the open periods of mart.settlement_statement / mart.fct_settlement_line
    and replaces the other settlement marts, all in one transaction. ``as_of`` is ``dt``, or for
    a rerun of an earlier night the latest night already settled: the marts are cumulative, and
    a rerun must not rewind them to an older view (it still takes in the night's corrected
    data). Returns counts.
    """
    k = min_cell_size() if k is None else k
    as_of = max(dt, settled_through(wh) or dt)
    if as_of != dt:
        log.info("settlement %s: a rerun after later nights; settles as of %s", dt, as_of)
    inputs, s, closed_periods, closed_lines = settlement_as_of(wh, as_of, lake_root)
    stale = {
        r[0]
        for r in wh.query(
            "SELECT DISTINCT period FROM mart.settlement_statement WHERE status = 'open'"
        )
    }
    open_periods = sorted(({h.period for h in s.headers} | stale) - closed_periods)
    tables = marts(inputs, s, closed_lines, k)
    with wh.transaction() as tx:
        closed_meanwhile = _closed(tx) - closed_periods
        if closed_meanwhile:  # a monthly close committed while this night computed
            raise RuntimeError(
                f"settlement {dt}: periods {sorted(closed_meanwhile)} were closed during the run; "
                "rerun the night"
            )
        if (settled_through(tx) or as_of) > as_of:
            raise RuntimeError(
                f"settlement {dt}: a later night was settled during the run; rerun the night"
            )
        for p in open_periods:
            # only open rows are ever replaced: a closed statement cannot be deleted from here
            tx.replace_partition(
                "mart.settlement_statement",
                {"period": p, "status": "open"},
                frames.header_rows([h for h in s.headers if h.period == p], "open"),
            )
            tx.replace_partition(
                "mart.fct_settlement_line",
                {"period": p, "statement_status": "open"},
                frames.line_rows([ln for ln in s.lines if ln.period == p], "open"),
            )
        for table, data in tables.items():
            tx.replace_table(table, data)
        night = datetime.date.fromisoformat(dt)
        tx.replace_partition(
            "ops.settlement_night",
            {"dt": night},
            pd.DataFrame({"dt": [night], "as_of": [datetime.date.fromisoformat(as_of)]}),
        )
    counts = {
        "as_of": as_of,
        "open_periods": open_periods,
        "statements": len(s.headers),
        "lines": len(s.lines),
        **{t: len(d) for t, d in tables.items()},
    }
    log.info("settlement %s: %s", dt, counts)
    return counts
