"""One settlement computation over clean inputs: nets, attribution credits, statements."""

from __future__ import annotations

import datetime
import tempfile
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from alliance_pipeline.config import SettlementConfig
from alliance_pipeline.lake.arrow_io import to_frame
from alliance_pipeline.settlement import sql_engine
from alliance_pipeline.settlement.attribution import (
    DEFAULT_CROSS_PARTNER,
    DEFAULT_HALF_LIFE_DAYS,
    TOUCH_TYPES,
    Attributor,
    Campaign,
    Content,
    Credit,
    Touch,
)
from alliance_pipeline.settlement.inputs import CleanInputs
from alliance_pipeline.settlement.net import FxRates, OrderNet, order_nets, period_of
from alliance_pipeline.settlement.rates import Contract, contracts_from_frame
from alliance_pipeline.settlement.statements import Header, Line, build_statements

DEFAULT_ENGINE = SettlementConfig().engine

# person_key -> (ordered_at, source, order_id) of the person's first order on the platform
FirstOrders = dict[str, tuple[datetime.datetime, str, str]]


@dataclass(frozen=True)
class Settlement:
    orders: list[OrderNet]
    credits: list[Credit]
    contracts: list[Contract]
    fx: FxRates
    headers: list[Header]
    lines: list[Line]
    firsts: FirstOrders


def first_orders(orders: list[OrderNet], earlier: FirstOrders | None = None) -> FirstOrders:
    """Each person's first order among ``orders`` and the ``earlier`` firsts."""
    first = dict(earlier or {})
    for o in orders:
        mine = (o.ordered_at, o.source, o.order_id)
        if o.person_key not in first or mine < first[o.person_key]:
            first[o.person_key] = mine
    return first


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def campaigns_of(df: pd.DataFrame) -> list[Campaign]:
    return [
        Campaign(r["campaign_id"], r["partner_id"], _text(r["referral_code"]))
        for r in df.drop_duplicates("campaign_id", keep="last").to_dict("records")
    ]


def catalog_of(df: pd.DataFrame) -> dict[str, Content]:
    return {
        r["content_id"]: Content(
            r["owner_source"],
            frozenset(p for p in (_text(r["co_brand_partners"]) or "").split(";") if p),
        )
        for r in df.to_dict("records")
    }


def touches_of(events: pd.DataFrame) -> dict[str, list[Touch]]:
    ev = events[events["event_type"].isin(TOUCH_TYPES) & events["campaign_id"].notna()]
    ev = ev.drop_duplicates(["source", "event_id"], keep="last")
    out: dict[str, list[Touch]] = defaultdict(list)
    at = pd.DatetimeIndex(ev["event_at"]).to_pydatetime()  # once, not per row
    for pk, cid, when, kind in zip(
        ev["person_key"], ev["campaign_id"], at, ev["event_type"], strict=True
    ):
        out[pk].append(Touch(cid, when, kind))
    return out


def compute(
    inputs: CleanInputs,
    dt: str,
    closed_periods: set[str],
    closed_lines: list[Line],
    periods: set[str] | None = None,
    half_life_days: int = DEFAULT_HALF_LIFE_DAYS,
    earlier_firsts: FirstOrders | None = None,
    cross_partner: str = DEFAULT_CROSS_PARTNER,
    engine: str = DEFAULT_ENGINE,
    memory_limit: str | None = None,
) -> Settlement:
    """Settle ``inputs`` as of ``dt``. Read from a first open day (``inputs.start``), only the
    re-read orders of closed periods are recomputed for their adjustments; ``earlier_firsts``
    then holds the first orders of the persons seen before. ``engine`` computes the order nets
    and credits (settlement.engine): ``duckdb`` in SQL (:mod:`sql_engine`), ``python`` order by
    order (the exact oracle); both give identical statements."""
    current = period_of(datetime.date.fromisoformat(dt))
    contracts = contracts_from_frame(inputs.contracts)
    fx = FxRates(inputs.fx_rates)
    args = (campaigns_of(inputs.campaigns), contracts, catalog_of(inputs.catalog))
    if engine == "duckdb":
        with tempfile.TemporaryDirectory(prefix="settlement-spill-") as spill:
            con = sql_engine.connect(spill, memory_limit)
            orders = sql_engine.order_nets(con, inputs.orders)
            touches = sql_engine.touches_of(con, inputs.events)
            sql = sql_engine.SqlAttributor(*args, touches, half_life_days, cross_partner, con)
            credits = sql.attribute_nets(orders)
            converted = sql_engine.converted_credits(con, credits, fx)
            con.close()
    elif engine == "python":
        orders = order_nets(inputs.orders)
        events = to_frame(inputs.events)
        attributor = Attributor(*args, touches_of(events), half_life_days, cross_partner)
        credits = attributor.attribute_all(orders)
        converted = None
    else:
        raise ValueError(f"unknown settlement.engine {engine!r}")
    reread = None if inputs.start is None else {o.key for o in orders}
    headers, lines = build_statements(
        credits,
        contracts,
        fx,
        closed_periods,
        closed_lines,
        current,
        periods,
        reread,
        None if inputs.start is None else period_of(inputs.start),
        converted,
    )
    firsts = first_orders(orders, earlier_firsts)
    return Settlement(orders, credits, contracts, fx, headers, lines, firsts)
