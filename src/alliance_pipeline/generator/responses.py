"""A planted response to partner campaigns: who clicks a campaign, and who then buys.

Each partner campaign promotes one catalog category (:func:`campaign_category`, from its id, so
no random draw). Every member of the partner clicks each of its campaigns, on the campaign's
running days inside the window after registering, at a daily probability

    sigmoid(INTERCEPT + AFFINITY * a + TIER * tier + ACTIVITY * log(activity)) * scale

where ``a`` is the member's behaviour group's preference for the campaign's category relative
to the group's favourite (1 for the favourite, 0.07 for a category the group ignores), ``tier``
the member's membership tier (0..3) and ``activity`` the person's activity weight. A click is
followed by an order of the clicked content, with the campaign as checkout campaign, with
probability ``ORDER_P x buying`` (the group's buying weight). The clicks go to the partner's
events and the orders to its orders, after their last id, from their own random stream: the
other datasets of a seed stay as they were, bar these added rows.
"""

from __future__ import annotations

import zlib

import numpy as np

from alliance_pipeline.contracts import CATEGORIES, EVENT_TYPES
from alliance_pipeline.generator.activity import US_PER_S, Events, Orders, Window
from alliance_pipeline.generator.experiments import with_orders
from alliance_pipeline.generator.people import GROUPS, Members, Persons, category_preferences
from alliance_pipeline.generator.platform_data import Campaigns, Catalog

INTERCEPT = -7.0
AFFINITY = 3.5
TIER = 0.3
ACTIVITY = 0.5
ORDER_P = 0.06
MAX_ORDER_DELAY_S = 2 * 86_400


def campaign_category(campaign_id: str) -> int:
    """The category (index into CATEGORIES) a campaign promotes."""
    return zlib.crc32(campaign_id.encode()) % len(CATEGORIES)


def affinity(group: np.ndarray, category: int) -> np.ndarray:
    """Each group's preference for ``category`` over its favourite category's."""
    pref = category_preferences(GROUPS)
    return (pref[:, category] / pref.max(axis=1))[group]


def daily_click_p(persons: Persons, members: Members, category: int, scale: float) -> np.ndarray:
    """The planted daily click probability of each member for a campaign of ``category``."""
    group = persons.group[members.person]
    logit = (
        INTERCEPT
        + AFFINITY * affinity(group, category)
        + TIER * members.tier
        + ACTIVITY * np.log(persons.activity[members.person])
    )
    return scale / (1 + np.exp(-logit))


def respond(
    rng: np.random.Generator,
    members: Members,
    persons: Persons,
    catalog: Catalog,
    campaigns: Campaigns,
    window: Window,
    events: Events,
    orders: Orders,
    scale: float,
) -> tuple[Events, Orders]:
    """``events`` and ``orders`` of one partner with its members' planted campaign responses."""
    partner = members.profile.source.id
    clicks: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
    for c in (i for i, p in enumerate(campaigns.partner_id) if p == partner):
        if not scale:
            break
        start = max((campaigns.start_day[c] - window.first_day) * 86_400 * US_PER_S, 0)
        start = np.maximum(window.start_us + start, members.registered_us)
        end = window.start_us + (campaigns.end_day[c] + 1 - window.first_day) * 86_400 * US_PER_S
        end = min(end, window.end_us)
        days = np.maximum(end - start, 0) / (86_400 * US_PER_S)
        cat = campaign_category(campaigns.campaign_id[c])
        n = rng.poisson(daily_click_p(persons, members, cat, scale) * days)
        member = np.repeat(np.arange(members.n), n)
        at = start[member] + (rng.random(member.size) * (end - start[member])).astype(np.int64)
        items = np.flatnonzero(catalog.category == cat)
        if not items.size:
            continue
        weight = np.cumsum(
            catalog.popularity[items] * np.where(catalog.owner[items] == partner, 5.0, 1.0)
        )
        pos = np.searchsorted(weight, rng.random(member.size) * weight[-1], side="right")
        clicks.append((member, at, items[np.minimum(pos, items.size - 1)], c))
    if not clicks:
        return events, orders
    member = np.concatenate([m for m, _, _, _ in clicks])
    at = np.concatenate([a for _, a, _, _ in clicks])
    content = np.concatenate([x for _, _, x, _ in clicks])
    campaign = np.concatenate([np.full(m.size, c) for m, _, _, c in clicks])
    events = _with_events(events, _click_events(rng, members, window, member, at, content, campaign,
                                                int(events.seq.max(initial=0)) + 1))  # fmt: skip
    buying = np.array([g.buying for g in GROUPS])[persons.group[members.person[member]]]
    buys = rng.random(member.size) < ORDER_P * buying
    ordered = at + rng.integers(600, MAX_ORDER_DELAY_S, member.size) * US_PER_S
    buys &= ordered < window.end_us
    extra = _click_orders(rng, members, window, catalog, member[buys], ordered[buys],
                          content[buys], campaign[buys], int(orders.order_no.max(initial=0)) + 1)  # fmt: skip
    return events, with_orders(orders, extra)


def _click_events(rng, members, window, member, at, content, campaign, first_seq) -> Events:
    order = np.argsort(at, kind="stable")
    member, at, content, campaign = member[order], at[order], content[order], campaign[order]
    n = at.size
    prof = members.profile
    return Events(
        night=window.night_of(at), at_us=at, member=member, content=content,
        etype=np.full(n, EVENT_TYPES.index("click")), duration=np.full(n, -1),
        progress_tenths=np.full(n, -1), campaign=campaign,
        device=rng.choice(len(prof.device_p), size=n, p=prof.device_p), comment=np.full(n, -1),
        seq=np.arange(first_seq, first_seq + n),
    )  # fmt: skip


def _with_events(events: Events, extra: Events) -> Events:
    """``events`` and ``extra``, by night; each night's existing rows first, in their order."""
    fields = Events.__dataclass_fields__
    merged = {f: np.concatenate([getattr(events, f), getattr(extra, f)]) for f in fields}
    order = np.argsort(merged["night"], kind="stable")
    return Events(**{f: v[order] for f, v in merged.items()})


def _click_orders(rng, members, window, catalog, member, at, content, campaign, first_no) -> Orders:
    order = np.argsort(at, kind="stable")
    member, at, content, campaign = member[order], at[order], content[order], campaign[order]
    n = at.size
    price = catalog.price_fen[content]
    prof = members.profile
    return Orders(
        night=window.night_of(at), order_no=np.arange(first_no, first_no + n), member=member,
        content=content, quantity=np.ones(n, dtype=np.int64), unit_fen=price, amount_fen=price,
        currency=np.zeros(n, dtype=np.int64), ordered_us=at, status=np.zeros(n, dtype=np.int64),
        refund_fen=np.full(n, -1), refunded_us=np.full(n, -1), referral=np.full(n, -1),
        campaign=campaign, channel=rng.choice(len(prof.channel_p), size=n, p=prof.channel_p),
        updated_us=at,
    )  # fmt: skip
