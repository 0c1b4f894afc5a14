"""fct_campaign_daily: delivery, attributed outcomes and ratios per campaign, date and channel.

Delivery figures (impressions, clicks, spend) come per media channel; attributed outcomes carry
no media channel, so each campaign and date also gets a ``channel = 'all'`` row (``is_total``)
holding the channel sums, the outcomes and every ratio. Ratios are recomputed from the row's own
summed parts, never averaged, and are NULL when the denominator is zero. All money is CNY,
converted at the day's fx rate and rounded half-even once per row.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

import pandas as pd

from alliance_pipeline.privacy import min_cell
from alliance_pipeline.settlement.engine import Settlement
from alliance_pipeline.settlement.money import from_minor, round_half_even, to_minor
from alliance_pipeline.settlement.statements import Line

TOTAL_CHANNEL = "all"
RATIO_PLACES = Decimal("0.000001")
METRIC_COLUMNS = [
    "date",
    "campaign_id",
    "partner_id",
    "channel",
    "is_total",
    "impressions",
    "clicks",
    "spend_cny",
    "attributed_orders",
    "new_persons",
    "new_persons_suppressed",
    "revenue_u_cny",
    "revenue_p_cny",
    "ctr",
    "cvr",
    "roas_u",
    "roi_u",
    "roas_p",
    "roi_p",
    "cac_cny",
]


def ratio(num, den) -> Decimal | None:
    """num / den as a Decimal with 6 places (half-even), NULL on a zero or missing denominator."""
    if num is None or den is None or den == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        return (Decimal(num) / Decimal(den)).quantize(RATIO_PLACES, rounding=ROUND_HALF_EVEN)


def first_order_keys(settlement: Settlement) -> set[tuple[str, str]]:
    """(source, order_id) of every person's first order on the platform."""
    return {(source, order_id) for _, source, order_id in settlement.firsts.values()}


def suppress_small(
    counts: dict[datetime.date, int], k: int
) -> tuple[dict[datetime.date, int | None], int, int | None]:
    """One campaign's daily person counts through the min-cell rule (``min_cell.withhold``).

    Returns (published cells, None where withheld; withheld persons; total): published +
    withheld = total. When the withheld persons count fewer than k, neither they nor the total
    are published (0, None).
    """
    days = sorted(counts)
    withheld, hidden = min_cell.withhold(pd.Series([counts[d] for d in days]), k)
    shown = {d: None if w else counts[d] for d, w in zip(days, withheld, strict=True)}
    if hidden is None:
        return shown, 0, None
    return shown, hidden, sum(counts.values())


def campaign_daily(
    settlement: Settlement,
    delivery: pd.DataFrame,
    partner_lines: list[Line],
    partners: dict[str, str],
    k: int,
    since: datetime.date | None = None,
    earlier_new: dict[str, dict[datetime.date, int]] | None = None,
) -> tuple[pd.DataFrame, dict[str, tuple[int, int | None]], dict[str, dict[datetime.date, int]]]:
    """The fct_campaign_daily frame, per campaign (suppressed persons, total or None), and the
    new persons per campaign and day.

    From ``since`` on only (the first open day): the days before keep their rows, and their new
    persons come from ``earlier_new`` (they count in the suppression and the totals).
    """
    fx = settlement.fx
    rows: dict[tuple, dict] = {}
    totals: dict[tuple, dict] = defaultdict(
        lambda: dict(impressions=0, clicks=0, spend=Fraction(0))
    )
    latest = delivery.sort_values("dt", kind="mergesort").drop_duplicates(
        ["campaign_id", "date", "channel"], keep="last"
    )
    for r in latest.to_dict("records"):
        day = r["date"]
        spend = to_minor(r["spend"], r["currency"]) * fx.rate(r["currency"], "CNY", day)
        rows[r["campaign_id"], day, r["channel"]] = dict(
            impressions=int(r["impressions"]), clicks=int(r["clicks"]), spend=spend
        )
        t = totals[r["campaign_id"], day]
        t["impressions"] += int(r["impressions"])
        t["clicks"] += int(r["clicks"])
        t["spend"] += spend

    share_by_key = {ln.key: ln for ln in partner_lines if ln.line_type == "order"}
    firsts = first_order_keys(settlement)
    outcome: dict[tuple, dict] = defaultdict(
        lambda: dict(orders=set(), persons=set(), ru=Fraction(0), rp=Fraction(0))
    )
    for c in settlement.credits:
        if c.weight <= 0 or (since is not None and c.order.order_date < since):
            continue
        o = c.order
        out = outcome[c.campaign_id, o.order_date]
        out["orders"].add(o.key)
        if o.key in firsts:
            out["persons"].add(o.person_key)
        out["ru"] += c.credit_minor * fx.rate(o.currency, "CNY", o.order_date)
        line = share_by_key.get((o.source, o.order_id, c.campaign_id))
        if line is not None:
            out["rp"] += line.partner_minor * fx.rate(line.currency, "CNY", o.order_date)

    person_counts: dict[str, dict[datetime.date, int]] = defaultdict(dict)
    for cid, counts in (earlier_new or {}).items():
        person_counts[cid].update({d: n for d, n in counts.items() if since and d < since})
    for (cid, day), out in outcome.items():
        person_counts[cid][day] = len(out["persons"])
    published: dict[tuple, int | None] = {}
    summary: dict[str, tuple[int, int | None]] = {}
    for cid, counts in person_counts.items():
        shown, hidden, total = suppress_small(counts, k)
        published.update({(cid, d): n for d, n in shown.items()})
        summary[cid] = (hidden, total)

    records = []
    for (cid, day, channel), r in sorted(rows.items()):
        spend = from_minor(round_half_even(r["spend"]))
        records.append(
            _row(day, cid, partners.get(cid), channel, False, r["impressions"], r["clicks"], spend)
        )
    for cid, day in sorted(set(totals) | set(outcome)):
        t = totals.get((cid, day), dict(impressions=0, clicks=0, spend=Fraction(0)))
        out = outcome.get((cid, day))
        spend = from_minor(round_half_even(t["spend"]))
        ru = from_minor(round_half_even(out["ru"])) if out else Decimal("0.00")
        rp = from_minor(round_half_even(out["rp"])) if out else Decimal("0.00")
        n_orders = len(out["orders"]) if out else 0
        persons = published.get((cid, day), 0) if out else 0
        row = _row(
            day, cid, partners.get(cid), TOTAL_CHANNEL, True, t["impressions"], t["clicks"], spend
        )
        row.update(
            attributed_orders=n_orders,
            new_persons=persons,
            new_persons_suppressed=persons is None,
            revenue_u_cny=ru,
            revenue_p_cny=rp,
            cvr=ratio(n_orders, t["clicks"]),
            roas_u=ratio(ru, spend),
            roi_u=ratio(ru - spend, spend),
            roas_p=ratio(rp, spend),
            roi_p=ratio(rp - spend, spend),
            cac_cny=None if persons is None else ratio(spend, persons),
        )
        records.append(row)
    frame = pd.DataFrame.from_records(records, columns=METRIC_COLUMNS)
    return frame, summary, dict(person_counts)


def _row(day, cid, partner, channel, is_total, impressions, clicks, spend) -> dict:
    row = dict.fromkeys(METRIC_COLUMNS)
    row.update(
        date=day,
        campaign_id=cid,
        partner_id=partner,
        channel=channel,
        is_total=is_total,
        impressions=impressions,
        clicks=clicks,
        spend_cny=spend,
        new_persons_suppressed=False,
        ctr=ratio(clicks, impressions),
    )
    return row
