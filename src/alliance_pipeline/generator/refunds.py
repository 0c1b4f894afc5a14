"""A refund after the close (``GeneratorConfig.refund_after_close``): on the last night, one
partner re-delivers an order of an earlier month (a period a monthly close has closed) as fully
refunded. Settlement turns it into a ``REFUND_AFTER_CLOSE`` adjustment line in the next open
period (settlement/statements.py).

The order is one a partner campaign's referral code gives to that campaign whole (so it is on a
statement), in CNY, paid and not refunded otherwise in the window, delivered by a partner whose
orders are never a planted bad batch (defects.plan) so the refund reaches settlement. Its own
seeded stream chooses it; it only appends one row to that partner's orders, so every other row
is as without the option.
"""

from __future__ import annotations

import datetime
from dataclasses import fields

import numpy as np

from alliance_pipeline.contracts import ORDER_STATUSES
from alliance_pipeline.generator import defects
from alliance_pipeline.generator.activity import US_PER_S, Orders, Window
from alliance_pipeline.generator.arrowcols import US_PER_DAY
from alliance_pipeline.generator.config import source_rng
from alliance_pipeline.generator.platform_data import EPOCH, Campaigns
from alliance_pipeline.registry import Source

STREAM = "refund_after_close"


def plant_refund_after_close(
    seed: int,
    sources: list[Source],
    orders: dict[str, Orders],
    campaigns: Campaigns,
    contracts: list[dict],
    window: Window,
    id_prefix: dict[str, str],
) -> tuple[dict[str, Orders], dict | None]:
    """``orders`` with the planted refund appended, and its record for the truth (None when
    the window holds no earlier month or no fitting order)."""
    last_day = window.first_day + window.days - 1
    month_start = (EPOCH + datetime.timedelta(days=last_day)).replace(day=1)
    cut_us = window.start_us + ((month_start - EPOCH).days - window.first_day) * US_PER_DAY
    if cut_us <= window.start_us:
        return orders, None
    bad = set(defects.plan(sources).batch)
    whole = {c["partner_id"] for c in contracts if c["scope"] == "all_attributed"}
    by_campaign = np.array([p in whole for p in campaigns.partner_id] or [False])
    candidates: list[tuple[str, int]] = []
    for src in sources:
        if src.kind != "partner" or (src.id, "orders") in bad or src.id not in orders:
            continue
        o = orders[src.id]
        changed = np.unique(o.order_no[o.status != 0])
        ok = (
            (o.status == 0)
            & (o.ordered_us < cut_us)
            & (o.referral >= 0)
            & (o.currency == 0)
            & ~np.isin(o.order_no, changed)
        )
        ok &= by_campaign[np.maximum(o.referral, 0)]
        candidates.extend((src.id, int(i)) for i in np.flatnonzero(ok))
    if not candidates:
        return orders, None
    rng = source_rng(seed, STREAM, "order")
    sid, i = candidates[int(rng.integers(len(candidates)))]
    o = orders[sid]
    at = (
        window.start_us
        + (window.days - 1) * US_PER_DAY
        + int(rng.integers(9 * 3600, 18 * 3600)) * US_PER_S
    )
    row = {f.name: getattr(o, f.name)[i] for f in fields(Orders)}
    row.update(
        night=window.days - 1,
        status=ORDER_STATUSES.index("refunded"),
        refund_fen=row["amount_fen"],
        refunded_us=at,
        updated_us=at,
    )
    planted = Orders(
        **{
            f.name: np.concatenate([getattr(o, f.name), np.array([row[f.name]])])
            for f in fields(Orders)
        }
    )
    ordered = EPOCH + datetime.timedelta(
        days=window.first_day + int(window.night_of(o.ordered_us[i]))
    )
    record = {
        "source": sid,
        "order_id": f"{id_prefix[sid]}O{int(o.order_no[i]):08d}",
        "campaign_id": campaigns.campaign_id[int(o.referral[i])],
        "ordered_dt": ordered.isoformat(),
        "period": ordered.strftime("%Y-%m"),
        "dt": (EPOCH + datetime.timedelta(days=last_day)).isoformat(),
        "currency": "CNY",
        "refund_minor": int(row["amount_fen"]),
    }
    return {**orders, sid: planted}, record
