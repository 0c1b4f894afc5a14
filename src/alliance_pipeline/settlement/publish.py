"""The nightly settlement run: compute from the clean zone, publish the marts atomically.

Closed statements (periods in ops.settlement_period) are read, never rewritten.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import pandas as pd

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.marketing.response import RESPONSE_COLUMNS, fill_campaign_daily
from alliance_pipeline.privacy.min_cell import min_cell_size
from alliance_pipeline.settlement import carry, frames
from alliance_pipeline.settlement.carry import Carried, NewPersons
from alliance_pipeline.settlement.engine import Settlement, compute
from alliance_pipeline.settlement.growth import GROWTH_COLUMNS, campaign_growth
from alliance_pipeline.settlement.inputs import CleanInputs, business_days, load_inputs
from alliance_pipeline.settlement.metrics import campaign_daily
from alliance_pipeline.settlement.net import period_of
from alliance_pipeline.settlement.statements import Line
from alliance_pipeline.settlement.window import first_open_day

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


def closed_state(wh, periods: set[str] | None = None) -> tuple[set[str], list[Line]]:
    """The closed periods, and every line of closed statements (only of those accounting for
    ``periods``, when given)."""
    closed = _closed(wh)
    cols = ", ".join(frames.LINE_COLUMNS)
    sql = f"SELECT {cols} FROM mart.fct_settlement_line WHERE statement_status = 'closed'"
    params: list = []
    if periods is not None:
        if not periods:
            return closed, []
        marks = ", ".join("?" * len(periods))
        sql += f" AND COALESCE(adjusts_period, period) IN ({marks})"
        params = sorted(periods)
    return closed, frames.lines_from_rows(frames.LINE_COLUMNS, wh.query(sql, params))


def _periods_before(inputs: CleanInputs, start: datetime.date) -> set[str]:
    """The closed periods a bounded night recomputes: those of the orders it re-read and of
    the fx rates delivered since ``start`` for their dates (a rate re-delivered after a close)."""
    fx = inputs.fx_rates
    redelivered = fx.loc[fx["dt"] >= start, "date"] if len(fx) else []
    days = set(business_days(inputs.orders)) | set(redelivered)
    return {period_of(d) for d in days if d < start}


def settlement_as_of(
    wh,
    dt: str,
    lake_root: Path | str,
    periods: set[str] | None = None,
    carried: Carried | None = None,
    whole_history: bool = False,
):
    """(inputs, settlement, closed periods, closed lines) for run date ``dt``: from the first
    open day on (settlement.window), or over the whole history."""
    closed = _closed(wh)
    start = None if whole_history else first_open_day(closed)
    inputs = load_inputs(lake_root, dt, start)
    closed_periods, closed_lines = closed_state(
        wh, None if start is None else _periods_before(inputs, start)
    )
    config = pipeline_config().settlement
    firsts = None if carried is None else carried.firsts
    s = compute(
        inputs,
        dt,
        closed_periods,
        closed_lines,
        periods,
        config.time_decay_half_life_days,
        firsts,
        config.cross_partner_rule,
        config.engine,
        config.duckdb_memory_limit,
    )
    return inputs, s, closed_periods, closed_lines


def marts(
    inputs: CleanInputs,
    s: Settlement,
    closed_lines: list[Line],
    k: int,
    earlier_new: NewPersons | None = None,
) -> tuple[dict[str, pd.DataFrame], NewPersons]:
    """Every settlement mart but the statements (whole, or from ``inputs.start`` on), and the
    new persons per campaign and day."""
    partners = dict(
        zip(inputs.campaigns["campaign_id"], inputs.campaigns["partner_id"], strict=True)
    )
    daily, summary, new_persons = campaign_daily(
        s,
        inputs.campaign_delivery,
        [*closed_lines, *s.lines],
        partners,
        k,
        inputs.start,
        earlier_new,
    )
    daily = daily.assign(**dict.fromkeys(RESPONSE_COLUMNS))  # filled from fct_campaign_response
    growth = pd.DataFrame.from_records(
        campaign_growth(new_persons, summary, k), columns=GROWTH_COLUMNS
    )
    orders, attribution = frames.order_rows(s)
    days = {o.order_date for o in s.orders} | set(daily["date"])
    if inputs.start is not None:
        days = {d for d in days if d >= inputs.start}
    tables = {
        "mart.fct_order": orders,
        "mart.fct_order_attribution": attribution,
        "mart.fct_campaign_daily": daily,
        "mart.campaign_growth": growth.astype(object).where(growth.notna(), None),
        "mart.dim_campaign": frames.dim_campaign(inputs.campaigns),
        "mart.dim_content": frames.dim_content(inputs.catalog),
        "mart.dim_date": frames.dim_date(days),
    }
    return tables, new_persons


# Marts that hold one row per order or per day: from the first open day on, a night replaces its
# own days (and the closed periods' orders it re-read); the rows before stay as settled.
DATED = {
    "mart.fct_order": "order_date",
    "mart.fct_order_attribution": "order_date",
    "mart.fct_campaign_daily": "date",
    "mart.dim_date": "date",
}
ORDER_KEY = ("order_source", "order_id")


def _replace(tx, table: str, data: pd.DataFrame, start: datetime.date | None) -> None:
    if start is None or table not in DATED:
        tx.replace_table(table, data)
        return
    late = set()
    if table in ("mart.fct_order", "mart.fct_order_attribution") and len(data):
        before = data[data["order_date"] < start]
        late = set(zip(before["order_source"], before["order_id"], strict=True))
    tx.replace_since(table, DATED[table], start, data, ORDER_KEY, sorted(late))


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
    carried = carry.previous(lake_root, as_of)
    inputs, s, closed_periods, closed_lines = settlement_as_of(
        wh, as_of, lake_root, carried=carried, whole_history=carried is None
    )
    stale = {
        r[0]
        for r in wh.query(
            "SELECT DISTINCT period FROM mart.settlement_statement WHERE status = 'open'"
        )
    }
    open_periods = sorted(({h.period for h in s.headers} | stale) - closed_periods)
    tables, new_persons = marts(
        inputs, s, closed_lines, k, None if carried is None else carried.new_persons
    )
    # before the marts: a committed night always has what it carries (a rerun replaces it)
    carry.write(lake_root, as_of, carry.Carried(s.firsts, new_persons))
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
            _replace(tx, table, data, inputs.start)
        fill_campaign_daily(tx)
        night = datetime.date.fromisoformat(dt)
        tx.replace_partition(
            "ops.settlement_night",
            {"dt": night},
            pd.DataFrame({"dt": [night], "as_of": [datetime.date.fromisoformat(as_of)]}),
        )
    counts = {
        "as_of": as_of,
        "read_from": None if inputs.start is None else inputs.start.isoformat(),
        "open_periods": open_periods,
        "statements": len(s.headers),
        "lines": len(s.lines),
        **{t: len(d) for t, d in tables.items()},
    }
    log.info("settlement %s: %s", dt, counts)
    return counts
