"""Settlement objects <-> warehouse rows (money as Decimal major units, never float)."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

import pandas as pd

from alliance_pipeline.settlement.engine import Settlement
from alliance_pipeline.settlement.metrics import first_order_keys
from alliance_pipeline.settlement.money import from_minor, round_half_even, to_minor
from alliance_pipeline.settlement.statements import Header, Line

SIX = Decimal("0.000001")
STATEMENT_COLUMNS = [
    "period",
    "partner_id",
    "contract_id",
    "status",
    "currency",
    "rate_model",
    "order_net_amount",
    "rate_share_amount",
    "top_up_amount",
    "cap_amount",
    "adjustment_net_amount",
    "adjustment_partner_amount",
    "net_amount",
    "partner_share",
    "platform_share",
    "line_count",
    "closed_at",
]
LINE_COLUMNS = [
    "period",
    "partner_id",
    "contract_id",
    "line_no",
    "statement_status",
    "line_type",
    "reason_code",
    "adjusts_period",
    "order_source",
    "order_id",
    "campaign_id",
    "order_date",
    "order_status",
    "order_currency",
    "order_credit_amount",
    "fx_rate",
    "currency",
    "net_amount",
    "partner_share",
    "platform_share",
]


@functools.lru_cache(maxsize=65536)  # weights and rates repeat: 1, 1/2, 2/5, a day's rate
def six_places(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            SIX, rounding=ROUND_HALF_EVEN
        )


def header_rows(
    headers: list[Header], status: str, closed_at: datetime.datetime | None = None
) -> pd.DataFrame:
    rows = []
    for h in headers:
        m = lambda v, c=h.currency: from_minor(v, c)  # ruff: ignore[lambda-assignment]
        rows.append(
            dict(
                period=h.period,
                partner_id=h.partner_id,
                contract_id=h.contract_id,
                status=status,
                currency=h.currency,
                rate_model=h.rate_model,
                order_net_amount=m(h.order_net_minor),
                rate_share_amount=m(h.rate_share_minor),
                top_up_amount=m(h.top_up_minor),
                cap_amount=m(h.cap_minor),
                adjustment_net_amount=m(h.adjustment_net_minor),
                adjustment_partner_amount=m(h.adjustment_partner_minor),
                net_amount=m(h.net_minor),
                partner_share=m(h.partner_minor),
                platform_share=m(h.platform_minor),
                line_count=h.line_count,
                closed_at=closed_at,
            )
        )
    return _frame(rows, STATEMENT_COLUMNS)


def line_rows(lines: list[Line], status: str) -> pd.DataFrame:
    rows = [
        dict(
            period=ln.period,
            partner_id=ln.partner_id,
            contract_id=ln.contract_id,
            line_no=ln.line_no,
            statement_status=status,
            line_type=ln.line_type,
            reason_code=ln.reason_code,
            adjusts_period=ln.adjusts_period,
            order_source=ln.source,
            order_id=ln.order_id,
            campaign_id=ln.campaign_id,
            order_date=ln.order_date,
            order_status=ln.order_status,
            order_currency=ln.order_currency,
            order_credit_amount=None
            if ln.credit_minor is None
            else from_minor(ln.credit_minor, ln.order_currency),
            fx_rate=None if ln.fx_rate is None else six_places(ln.fx_rate),
            currency=ln.currency,
            net_amount=from_minor(ln.net_minor, ln.currency),
            partner_share=from_minor(ln.partner_minor, ln.currency),
            platform_share=from_minor(ln.platform_minor, ln.currency),
        )
        for ln in lines
    ]
    return _frame(rows, LINE_COLUMNS)


def lines_from_rows(columns: list[str], rows: list[tuple]) -> list[Line]:
    """Closed lines read back from mart.fct_settlement_line (only what settlement needs)."""
    out = []
    for values in rows:
        r = dict(zip(columns, values, strict=True))
        cur = r["currency"]
        out.append(
            Line(
                period=r["period"],
                partner_id=r["partner_id"],
                contract_id=r["contract_id"],
                line_no=int(r["line_no"]),
                line_type=r["line_type"],
                currency=cur,
                net_minor=to_minor(r["net_amount"], cur),
                partner_minor=to_minor(r["partner_share"], cur),
                reason_code=r["reason_code"],
                adjusts_period=r["adjusts_period"],
                source=r["order_source"],
                order_id=r["order_id"],
                campaign_id=r["campaign_id"],
                order_date=r["order_date"],
                order_status=r["order_status"],
                order_currency=r["order_currency"],
                credit_minor=None
                if r["order_credit_amount"] is None
                else to_minor(r["order_credit_amount"], r["order_currency"]),
                fx_rate=None if r["fx_rate"] is None else Fraction(r["fx_rate"]),
            )
        )
    return out


def order_rows(s: Settlement) -> tuple[pd.DataFrame, pd.DataFrame]:
    """mart.fct_order and mart.fct_order_attribution."""
    by_order = defaultdict(list)
    for c in s.credits:
        by_order[c.order.key].append(c)
    firsts = first_order_keys(s)
    orders, credits = [], []
    rates: dict[tuple, tuple[Decimal, Fraction, Decimal]] = {}
    for o in s.orders:
        cs = by_order.get(o.key, [])
        day = (o.currency, o.order_date)
        if day not in rates:
            rate = s.fx.cny_per_unit(*day)
            rates[day] = rate, Fraction(rate), rate.quantize(SIX)
        rate, exact_rate, rate_six = rates[day]
        orders.append(
            dict(
                order_source=o.source,
                order_id=o.order_id,
                person_key=o.person_key,
                content_id=o.content_id,
                order_date=o.order_date,
                period=o.period,
                status=o.status,
                channel=o.channel,
                currency=o.currency,
                amount=from_minor(o.amount_minor, o.currency),
                refund_amount=from_minor(o.refund_minor, o.currency),
                net_amount=from_minor(o.net_minor, o.currency),
                fx_cny_per_unit=rate_six,
                net_amount_cny=from_minor(round_half_even(o.net_minor * exact_rate)),
                is_first_order=o.key in firsts,
                attribution_method=cs[0].method if cs else None,
                partner_id=cs[0].partner_id if cs else None,
                contract_id=cs[0].contract.contract_id if cs and cs[0].contract else None,
                campaign_count=len(cs),
            )
        )
        credits.extend(
            dict(
                order_source=o.source,
                order_id=o.order_id,
                campaign_id=c.campaign_id,
                partner_id=c.partner_id,
                contract_id=c.contract.contract_id if c.contract else None,
                method=c.method,
                weight=six_places(c.weight),
                currency=o.currency,
                credit_amount=from_minor(c.credit_minor, o.currency),
                order_date=o.order_date,
            )
            for c in cs
        )
    order_cols = [
        "order_source",
        "order_id",
        "person_key",
        "content_id",
        "order_date",
        "period",
        "status",
        "channel",
        "currency",
        "amount",
        "refund_amount",
        "net_amount",
        "fx_cny_per_unit",
        "net_amount_cny",
        "is_first_order",
        "attribution_method",
        "partner_id",
        "contract_id",
        "campaign_count",
    ]
    credit_cols = [
        "order_source",
        "order_id",
        "campaign_id",
        "partner_id",
        "contract_id",
        "method",
        "weight",
        "currency",
        "credit_amount",
        "order_date",
    ]
    return _frame(orders, order_cols), _frame(credits, credit_cols)


def dim_campaign(campaigns: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "campaign_id",
        "partner_id",
        "name",
        "referral_code",
        "start_date",
        "end_date",
        "budget",
        "currency",
        "objective",
    ]
    return campaigns.drop_duplicates("campaign_id", keep="last")[cols].reset_index(drop=True)


def dim_content(catalog: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in catalog.drop_duplicates("content_id", keep="last").to_dict("records"):
        partners = sorted(p for p in (r["co_brand_partners"] or "").split(";") if p)
        launched = pd.Timestamp(r["launched_at"]).tz_convert("Asia/Shanghai").date()
        rows.append(
            dict(
                content_id=r["content_id"],
                title=r["title"],
                owner_source=r["owner_source"],
                co_brand_partners=";".join(partners) or None,
                co_brand_count=len(partners),
                category=r["category"],
                list_price=r["list_price"],
                currency=r["currency"],
                launched_date=launched,
            )
        )
    return _frame(
        rows,
        [
            "content_id",
            "title",
            "owner_source",
            "co_brand_partners",
            "co_brand_count",
            "category",
            "list_price",
            "currency",
            "launched_date",
        ],
    )


def dim_date(days: set[datetime.date]) -> pd.DataFrame:
    rows = []
    if days:
        d, last = min(days), max(days)
        while d <= last:
            iso = d.isocalendar()
            rows.append(
                dict(
                    date=d,
                    year=d.year,
                    month=d.month,
                    day=d.day,
                    period=f"{d.year:04d}-{d.month:02d}",
                    iso_week=iso.week,
                    weekday=iso.weekday,
                    is_weekend=iso.weekday >= 6,
                )
            )
            d += datetime.timedelta(days=1)
    return _frame(
        rows, ["date", "year", "month", "day", "period", "iso_week", "weekday", "is_weekend"]
    )


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=columns).astype(object)
