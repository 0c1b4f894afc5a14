"""Heavy-tailed activity of one source over the whole window, as numpy arrays (no row loops).

Events and orders are simulated for every night at once so that campaign touches can precede
the orders they lead to and refunds can follow days later; deliveries then slice by night.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alliance_pipeline.contracts import CATEGORIES, CURRENCIES, EVENT_TYPES
from alliance_pipeline.generator.arrowcols import US_PER_DAY
from alliance_pipeline.generator.people import GROUPS, Members, Persons, category_preferences
from alliance_pipeline.generator.platform_data import Campaigns, Catalog
from alliance_pipeline.generator.reference import COMMENTS, PII_COMMENTS

US_PER_S = 1_000_000
HOUR_WEIGHTS = np.array(
    [2, 1, 1, 1, 1, 1, 2, 4, 6, 6, 5, 6, 8, 8, 6, 5, 5, 6, 7, 9, 11, 12, 10, 6], dtype=float
)
CONTENT_TYPES = ("view", "play", "progress", "complete", "like", "share", "favorite")
LATE_SHARE = 0.03  # of the events of a night's last hour, delivered the next night
MAX_LATE_US = 3600 * US_PER_S
TOUCH_SHARE = 0.3  # orders that follow campaign touches
REFUND_SHARE = 0.06


@dataclass
class Events:
    night: np.ndarray  # delivery night
    at_us: np.ndarray
    member: np.ndarray
    content: np.ndarray
    etype: np.ndarray  # index into EVENT_TYPES
    duration: np.ndarray  # -1 null
    progress_tenths: np.ndarray  # -1 null
    campaign: np.ndarray  # -1 null
    device: np.ndarray
    comment: np.ndarray  # -1 none; index into COMMENTS + PII_COMMENTS
    seq: np.ndarray  # event number inside the source


@dataclass
class Orders:
    night: np.ndarray
    order_no: np.ndarray
    member: np.ndarray
    content: np.ndarray
    quantity: np.ndarray
    unit_fen: np.ndarray
    amount_fen: np.ndarray
    currency: np.ndarray
    ordered_us: np.ndarray
    status: np.ndarray
    refund_fen: np.ndarray  # -1 null
    refunded_us: np.ndarray  # -1 null
    referral: np.ndarray  # campaign whose code was used, -1 none
    campaign: np.ndarray  # campaign id passed at checkout, -1 none
    channel: np.ndarray
    updated_us: np.ndarray


@dataclass
class Delivery:
    night: np.ndarray
    campaign: np.ndarray
    channel: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray
    spend_fen: np.ndarray


class Window:
    def __init__(self, first_day: int, days: int):
        self.first_day, self.days = first_day, days
        self.start_us = (first_day * 86_400 - 8 * 3600) * US_PER_S  # 00:00 Asia/Shanghai
        self.end_us = self.start_us + days * US_PER_DAY

    def night_of(self, us: np.ndarray) -> np.ndarray:
        return (us - self.start_us) // US_PER_DAY

    def random_times(self, rng, n: int) -> np.ndarray:
        night = rng.integers(0, self.days, size=n)
        hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
        sec = rng.integers(0, 3600, size=n)
        return self.start_us + night * US_PER_DAY + (hour * 3600 + sec) * US_PER_S


class MemberPicker:
    """Picks members proportionally to a weight among those registered before a time."""

    def __init__(self, members: Members, weight: np.ndarray):
        self.registered = members.registered_us
        self.cum = np.cumsum(weight)

    def pick(self, rng, at_us: np.ndarray) -> np.ndarray:
        eligible = np.searchsorted(self.registered, at_us, side="right")
        top = self.cum[np.maximum(eligible - 1, 0)]
        idx = np.searchsorted(self.cum, rng.random(at_us.size) * top, side="right")
        return np.where(eligible > 0, np.minimum(idx, eligible - 1), -1)


class ContentPicker:
    """Picks content by a group's category preference, Zipf popularity and the source's own
    catalogue (a source favours content it owns or co-brands)."""

    def __init__(self, catalog: Catalog, source_id: str):
        own = (catalog.owner == source_id) | np.array(
            [source_id in (c or "").split(";") for c in catalog.co_brand.to_pylist()]
        )
        self.base = catalog.popularity * np.where(own, 5.0, 1.0)
        self.catalog = catalog
        self.pref = category_preferences(GROUPS)

    def pick(self, rng, group: np.ndarray, price_bias: np.ndarray | None = None) -> np.ndarray:
        cat = np.empty(group.size, dtype=np.int64)
        for g in range(len(GROUPS)):
            rows = np.flatnonzero(group == g)
            cat[rows] = rng.choice(len(CATEGORIES), size=rows.size, p=self.pref[g])
        out = np.empty(group.size, dtype=np.int64)
        for c in range(len(CATEGORIES)):
            items = np.flatnonzero(self.catalog.category == c)
            for g in range(len(GROUPS)) if price_bias is not None else (None,):
                rows = np.flatnonzero((cat == c) & (group == g if g is not None else True))
                if not rows.size:
                    continue
                w = self.base[items]
                if g is not None:
                    w = w * (self.catalog.price_fen[items] / 9900.0) ** np.log(price_bias[g])
                cum = np.cumsum(w)
                pos = np.searchsorted(cum, rng.random(rows.size) * cum[-1], side="right")
                out[rows] = items[np.minimum(pos, items.size - 1)]
        return out


def simulate(
    rng, members: Members, persons: Persons, catalog: Catalog, campaigns: Campaigns,
    window: Window, fx: dict[str, np.ndarray], events_rate: float, orders_rate: float,
) -> tuple[Events, Orders]:  # fmt: skip
    prof = members.profile
    group = persons.group[members.person]
    act = persons.activity[members.person]
    buy = np.array([g.buying for g in GROUPS])[group]
    picker_events = MemberPicker(members, act)
    picker_orders = MemberPicker(members, act * buy)
    content = ContentPicker(catalog, prof.source.id)
    price_bias = np.array([g.price_bias for g in GROUPS])

    # orders
    n_orders = rng.poisson(orders_rate * members.n * window.days * prof.activity)
    o_at = window.random_times(rng, n_orders)
    o_member = picker_orders.pick(rng, o_at)
    keep = o_member >= 0
    o_at, o_member = np.sort(o_at[keep]), o_member[keep][np.argsort(o_at[keep], kind="stable")]
    o_content = content.pick(rng, group[o_member], price_bias)
    o_night = window.night_of(o_at)
    n = o_at.size
    qty = rng.choice([1, 2, 3], size=n, p=[0.88, 0.09, 0.03])
    currency = np.where(
        rng.random(n) < prof.foreign_currency_p,
        rng.choice([1, 2, 3], size=n, p=[0.5, 0.3, 0.2]),
        0,
    )
    rates = np.stack([fx[c] for c in CURRENCIES])[currency, o_night]
    unit = np.maximum(np.round(catalog.price_fen[o_content] * 1_000_000 / rates), 1).astype(
        np.int64
    )
    amount = unit * qty

    # campaign-driven orders: touches before them, some with a referral code
    day = window.first_day + o_night
    camp = rng.integers(0, max(campaigns.n, 1), size=n)
    driven = (rng.random(n) < TOUCH_SHARE) & (campaigns.n > 0)
    if campaigns.n:
        driven &= (campaigns.start_day[camp] <= day) & (day <= campaigns.end_day[camp])
    has_code = np.array([c is not None for c in campaigns.referral_code] or [False])[camp]
    referral = np.where(driven & has_code & (rng.random(n) < 0.4), camp, -1)
    checkout = np.where(driven & (rng.random(n) < 0.3), camp, -1)
    d_idx = np.flatnonzero(driven)
    t_order = np.repeat(d_idx, rng.integers(1, 4, size=d_idx.size))
    t_at = o_at[t_order] - rng.integers(1800, 7 * 86_400, size=t_order.size) * US_PER_S
    t_ok = (t_at >= window.start_us) & (t_at >= members.registered_us[o_member[t_order]])
    t_order, t_at = t_order[t_ok], t_at[t_ok]

    # background activity and untargeted campaign touches
    n_events = rng.poisson(events_rate * members.n * window.days * prof.activity)
    e_at = window.random_times(rng, n_events)
    e_member = picker_events.pick(rng, e_at)
    e_at, e_member = e_at[e_member >= 0], e_member[e_member >= 0]
    e_content = content.pick(rng, group[e_member])
    e_type = _content_event_types(rng, group[e_member])
    noise = rng.random(e_at.size) < (2 * d_idx.size / max(e_at.size, 1))
    e_campaign = np.where(noise, rng.integers(0, max(campaigns.n, 1), size=e_at.size), -1)
    if campaigns.n:
        e_day = window.first_day + window.night_of(e_at)
        active = (campaigns.start_day[e_campaign] <= e_day) & (
            e_day <= campaigns.end_day[e_campaign]
        )
        e_campaign = np.where(active, e_campaign, -1)
    touch_type = np.where(
        rng.random(e_at.size) < 0.75, EVENT_TYPES.index("click"), EVENT_TYPES.index("view")
    )
    e_type = np.where(e_campaign >= 0, touch_type, e_type)

    at = np.concatenate([e_at, t_at])
    ev_type = np.concatenate(
        [
            e_type,
            np.where(
                rng.random(t_at.size) < 0.75, EVENT_TYPES.index("click"), EVENT_TYPES.index("view")
            ),
        ]
    )
    ev_campaign = np.concatenate([e_campaign, camp[t_order]])
    events = _finish_events(
        rng, window, prof, group_of=group, at=at,
        member=np.concatenate([e_member, o_member[t_order]]),
        content=np.concatenate([e_content, o_content[t_order]]),
        etype=ev_type, campaign=ev_campaign,
    )  # fmt: skip

    channel = rng.choice(len(prof.channel_p), size=n, p=prof.channel_p)
    paid = Orders(
        night=o_night, order_no=np.arange(1, n + 1), member=o_member, content=o_content,
        quantity=qty, unit_fen=unit, amount_fen=amount, currency=currency, ordered_us=o_at,
        status=np.zeros(n, dtype=np.int64), refund_fen=np.full(n, -1), refunded_us=np.full(n, -1),
        referral=referral, campaign=checkout, channel=channel, updated_us=o_at,
    )  # fmt: skip
    return events, _with_refunds(rng, paid, window)


def _content_event_types(rng, group: np.ndarray) -> np.ndarray:
    out = np.empty(group.size, dtype=np.int64)
    codes = np.array([EVENT_TYPES.index(t) for t in CONTENT_TYPES])
    for g, spec in enumerate(GROUPS):
        c = spec.completion
        p = np.array([0.30 + 0.2 * (1 - c), 0.25, 0.20, 0.25 * c, 0.08, 0.03, 0.05])
        rows = np.flatnonzero(group == g)
        out[rows] = codes[rng.choice(len(p), size=rows.size, p=p / p.sum())]
    return out


def _finish_events(rng, window, prof, group_of, at, member, content, etype, campaign) -> Events:
    order = np.argsort(at, kind="stable")
    at, member, content, etype, campaign = (
        a[order] for a in (at, member, content, etype, campaign)
    )
    n = at.size
    night = window.night_of(at)
    last_hour = (at - window.start_us) % US_PER_DAY >= US_PER_DAY - MAX_LATE_US
    late = last_hour & (night < window.days - 1) & (rng.random(n) < LATE_SHARE)
    night = night + late

    group = group_of[member]
    watch = np.array([g.watch_s for g in GROUPS])[group]
    name = np.array(EVENT_TYPES)[etype]
    playing = np.isin(name, ("play", "progress", "complete"))
    duration = np.where(
        playing,
        np.clip(rng.lognormal(np.log(watch), 0.6), 1, 86_400),
        np.where(name == "view", np.clip(rng.lognormal(np.log(20), 0.5), 1, 600), -1),
    ).astype(np.int64)
    progress = np.select(
        [name == "view", name == "play", name == "progress", name == "complete"],
        [rng.uniform(0, 5, n), rng.uniform(1, 40, n), rng.uniform(10, 95, n), np.full(n, 100.0)],
        -0.1,
    )
    touch = campaign >= 0
    duration = np.where(touch, -1, duration)
    progress_tenths = np.where(touch, -1, np.round(progress * 10)).astype(np.int64)
    comment = np.where(
        rng.random(n) < 0.015,
        np.where(
            rng.random(n) < 0.12,
            len(COMMENTS) + rng.integers(0, len(PII_COMMENTS), n),
            rng.integers(0, len(COMMENTS), n),
        ),
        -1,
    )
    comment = np.where(touch, -1, comment)
    sort = np.lexsort((at, night))
    fields = (night, at, member, content, etype, duration, progress_tenths, campaign)
    night, at, member, content, etype, duration, progress_tenths, campaign = (
        f[sort] for f in fields
    )
    return Events(
        night=night, at_us=at, member=member, content=content, etype=etype, duration=duration,
        progress_tenths=progress_tenths, campaign=campaign,
        device=rng.choice(len(prof.device_p), size=n, p=prof.device_p), comment=comment[sort],
        seq=np.arange(1, n + 1),
    )  # fmt: skip


def _with_refunds(rng, paid: Orders, window: Window) -> Orders:
    n = paid.order_no.size
    hit = np.flatnonzero(rng.random(n) < REFUND_SHARE)
    kind = rng.choice([1, 2, 3], size=hit.size, p=[0.5, 0.35, 0.15])
    amount = paid.amount_fen[hit]
    refund = np.where(kind == 2, np.round(amount * rng.uniform(0.2, 0.7, hit.size)), amount)
    lag = np.minimum(1 + rng.geometric(0.12, size=hit.size), 45)
    at = paid.ordered_us[hit] + (lag * 86_400 + rng.integers(0, 12 * 3600, hit.size)) * US_PER_S
    night = window.night_of(at)
    inside = night < window.days
    hit, kind, refund, at, night = (
        hit[inside],
        kind[inside],
        refund[inside],
        at[inside],
        night[inside],
    )

    def stack(base: np.ndarray, again: np.ndarray) -> np.ndarray:
        return np.concatenate([base, again])

    rows = {f: getattr(paid, f) for f in Orders.__dataclass_fields__}
    again = {f: v[hit] for f, v in rows.items()}
    again.update(
        night=night, status=kind, refund_fen=refund.astype(np.int64), refunded_us=at, updated_us=at
    )
    merged = {f: stack(rows[f], again[f]) for f in rows}
    order = np.lexsort((merged["updated_us"], merged["night"]))
    return Orders(**{f: v[order] for f, v in merged.items()})


def campaign_delivery(rng, campaigns: Campaigns, partner_id: str, window: Window) -> Delivery:
    rows: dict[str, list[np.ndarray]] = {k: [] for k in Delivery.__dataclass_fields__}
    nights = np.arange(window.days)
    for c in np.flatnonzero(np.array(campaigns.partner_id) == partner_id):
        day = window.first_day + nights
        live = nights[(campaigns.start_day[c] <= day) & (day <= campaigns.end_day[c])]
        chans = np.array(campaigns.channels[c], dtype=np.int64)
        night, chan = np.repeat(live, chans.size), np.tile(chans, live.size)
        impressions = rng.lognormal(8.5, 0.8, night.size).astype(np.int64)
        ctr = rng.uniform(0.004, 0.04, night.size)
        cpm_fen = rng.integers(2000, 6000, night.size)
        rows["night"].append(night)
        rows["campaign"].append(np.full(night.size, c))
        rows["channel"].append(chan)
        rows["impressions"].append(impressions)
        rows["clicks"].append(rng.binomial(impressions, ctr))
        rows["spend_fen"].append(impressions * cpm_fen // 1000)
    if not rows["night"]:
        return Delivery(*(np.zeros(0, dtype=np.int64) for _ in rows))
    merged = {k: np.concatenate(v) for k, v in rows.items()}
    order = np.argsort(merged["night"], kind="stable")
    return Delivery(**{k: v[order] for k, v in merged.items()})
