"""One delivery as a typed Arrow table: the columns of its contract, in contract order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.contracts import (
    CATEGORIES,
    CURRENCIES,
    DELIVERY_CHANNELS,
    DEVICES,
    EVENT_TYPES,
    MEMBERSHIP_TIERS,
    ORDER_CHANNELS,
    ORDER_STATUSES,
    dataset,
)
from alliance_pipeline.generator import arrowcols as ac
from alliance_pipeline.generator.activity import US_PER_S
from alliance_pipeline.generator.config import source_rng
from alliance_pipeline.generator.reference import CITIES, COMMENTS, N_SLOT, PII_COMMENTS, PII_SLOT
from alliance_pipeline.generator.world import World


def typed_table(name: str, columns: dict[str, pa.Array], tz: str) -> pa.Table:
    """Assemble the contract's columns, in order, cast to their Arrow types."""
    contract = dataset(name)
    if set(columns) != set(contract.column_names):
        raise ValueError(f"{name}: columns {sorted(columns)} differ from the contract")
    arrays = [columns[c.name].cast(ac.arrow_type(c.dtype, tz)) for c in contract.columns]
    return pa.table(arrays, names=contract.column_names)


def night_slice(nights: np.ndarray, k: int) -> slice:
    return slice(int(np.searchsorted(nights, k, "left")), int(np.searchsorted(nights, k, "right")))


def users(world: World, sid: str, k: int) -> pa.Table:
    m = world.members[sid]
    w = world.window
    night_start = w.start_us + k * ac.US_PER_DAY
    night_end = night_start + ac.US_PER_DAY
    reg = m.registered_us
    if k == 0:
        idx = np.flatnonzero(reg < night_end)
        rng = source_rng(world.cfg.seed, sid, "export")
        export = night_start + rng.integers(3600, 5 * 3600, idx.size) * US_PER_S
        updated = np.maximum(reg[idx], export)
        changed = np.zeros(idx.size, dtype=bool)
    else:
        new = np.flatnonzero((reg >= night_start) & (reg < night_end))
        chg = np.flatnonzero((m.change_us >= night_start) & (m.change_us < night_end))
        idx = np.concatenate([new, chg])
        updated = np.concatenate([reg[new], m.change_us[chg]])
        changed = np.concatenate([np.zeros(new.size, bool), np.ones(chg.size, bool)])
    kind = m.change_kind[idx]
    consent = m.consent[idx] ^ (changed & (kind == 0))
    tier = m.tier[idx] + (changed & (kind == 1))
    p = world.persons
    person = m.person[idx]
    return typed_table(
        "users",
        {
            "source_user_id": m.source_user_id.take(idx),
            "full_name": p.full_name.take(person),
            "mobile": m.mobile.take(idx),
            "email": m.email.take(idx),
            "id_card_no": m.id_card_no.take(idx),
            "birth_date": ac.dates(p.birth_days[person]),
            "gender": p.gender.take(person),
            "city": pa.array([c[0] for c in CITIES]).take(p.city[person]),
            "registered_at": ac.timestamps(reg[idx], m.profile.source.timezone),
            "membership_tier": pa.array(MEMBERSHIP_TIERS).take(tier),
            "marketing_consent": pa.array(consent),
            "updated_at": ac.timestamps(updated, m.profile.source.timezone),
        },
        m.profile.source.timezone,
    )


def events(world: World, sid: str, k: int) -> pa.Table:
    ev, m = world.events[sid], world.members[sid]
    s = night_slice(ev.night, k)
    member = ev.member[s]
    tz = m.profile.source.timezone
    return typed_table(
        "events",
        {
            "event_id": ac.ids(f"{m.profile.id_prefix}E", ev.seq[s], 9),
            "source_user_id": m.source_user_id.take(member),
            "content_id": world.catalog.content_id.take(ev.content[s]),
            "event_type": pa.array(EVENT_TYPES).take(ev.etype[s]),
            "event_at": ac.timestamps(ev.at_us[s], tz),
            "duration_s": pa.array(ev.duration[s], mask=ev.duration[s] < 0),
            "progress_pct": pa.array(ev.progress_tenths[s] / 10.0, mask=ev.progress_tenths[s] < 0),
            "campaign_id": ac.take(pa.array(world.campaigns.campaign_id), ev.campaign[s]),
            "device": pa.array(DEVICES).take(ev.device[s]),
            "comment": _comments(world, m, member, ev.comment[s]),
        },
        tz,
    )


def _comments(world: World, m, member: np.ndarray, kind: np.ndarray) -> pa.Array:
    plain = [t.replace(N_SLOT, "7") for t in COMMENTS]
    n_plain = len(plain)
    out = ac.take(pa.array(plain), np.where(kind < n_plain, kind, -1))
    pii_rows = np.flatnonzero(kind >= n_plain)
    if not pii_rows.size:
        return out
    tpl = kind[pii_rows] - n_plain
    person = m.person[member[pii_rows]]
    p = world.persons
    values = {
        0: p.email.take(person),
        1: m.mobile.take(member[pii_rows]),
        2: pa.array(p.resident_id[person]),
        3: pa.array(p.mobile[person]).cast(pa.string()),
    }
    pii = values[0]
    for t in (1, 2, 3):
        pii = pc.if_else(pa.array(tpl == t), values[t], pii)
    heads = pa.array([t.split(PII_SLOT)[0] for t in PII_COMMENTS]).take(tpl)
    tails = pa.array([t.split(PII_SLOT)[1] for t in PII_COMMENTS]).take(tpl)
    text = pc.binary_join_element_wise(heads, pii, tails, "")
    merged = out.to_numpy(zero_copy_only=False).astype(object)
    merged[pii_rows] = text.to_numpy(zero_copy_only=False)
    return pa.array(merged, pa.string())


def orders(world: World, sid: str, k: int) -> pa.Table:
    o, m = world.orders[sid], world.members[sid]
    s = night_slice(o.night, k)
    tz = m.profile.source.timezone
    camp = pa.array(world.campaigns.campaign_id)
    codes = pa.array(world.campaigns.referral_code, pa.string())
    refund = o.refund_fen[s]
    return typed_table(
        "orders",
        {
            "order_id": ac.ids(f"{m.profile.id_prefix}O", o.order_no[s], 8),
            "source_user_id": m.source_user_id.take(o.member[s]),
            "content_id": world.catalog.content_id.take(o.content[s]),
            "quantity": pa.array(o.quantity[s]),
            "unit_price": ac.money(o.unit_fen[s]),
            "amount": ac.money(o.amount_fen[s]),
            "currency": pa.array(CURRENCIES).take(o.currency[s]),
            "ordered_at": ac.timestamps(o.ordered_us[s], tz),
            "status": pa.array(ORDER_STATUSES).take(o.status[s]),
            "refund_amount": ac.money(refund, refund >= 0),
            "refunded_at": ac.timestamps(o.refunded_us[s], tz, o.refunded_us[s] >= 0),
            "referral_code": ac.take(codes, o.referral[s]),
            "campaign_id": ac.take(camp, o.campaign[s]),
            "channel": pa.array(ORDER_CHANNELS).take(o.channel[s]),
            "updated_at": ac.timestamps(o.updated_us[s], tz),
        },
        tz,
    )


def campaign_delivery(world: World, sid: str, k: int) -> pa.Table:
    d = world.delivery[sid]
    s = night_slice(d.night, k)
    n = s.stop - s.start
    return typed_table(
        "campaign_delivery",
        {
            "campaign_id": ac.take(pa.array(world.campaigns.campaign_id or [""]), d.campaign[s]),
            "date": ac.dates(np.full(n, world.window.first_day + k)),
            "channel": pa.array(DELIVERY_CHANNELS).take(d.channel[s]),
            "impressions": pa.array(d.impressions[s]),
            "clicks": pa.array(d.clicks[s]),
            "spend": ac.money(d.spend_fen[s]),
            "currency": pa.array(np.full(n, "CNY"), pa.string()),
        },
        world.profiles[sid].source.timezone,
    )


def campaigns(world: World, sid: str, k: int) -> pa.Table:
    c = world.campaigns
    return typed_table(
        "campaigns",
        {
            "campaign_id": pa.array(c.campaign_id, pa.string()),
            "partner_id": pa.array(c.partner_id, pa.string()),
            "name": pa.array(c.name, pa.string()),
            "referral_code": pa.array(c.referral_code, pa.string()),
            "start_date": ac.dates(c.start_day),
            "end_date": ac.dates(c.end_day),
            "budget": ac.money(c.budget_fen),
            "currency": pa.array(np.full(c.n, "CNY"), pa.string()),
            "objective": pa.array(c.objective, pa.string()),
        },
        world.profiles[sid].source.timezone,
    )


def catalog(world: World, sid: str, k: int) -> pa.Table:
    c = world.catalog
    return typed_table(
        "catalog",
        {
            "content_id": c.content_id,
            "title": c.title,
            "owner_source": pa.array(c.owner, pa.string()),
            "co_brand_partners": c.co_brand,
            "category": pa.array(CATEGORIES).take(c.category),
            "list_price": ac.money(c.price_fen),
            "currency": pa.array(np.full(c.n, "CNY"), pa.string()),
            "launched_at": ac.timestamps(c.launched_us, world.profiles[sid].source.timezone),
        },
        world.profiles[sid].source.timezone,
    )


def contracts(world: World, sid: str, k: int) -> pa.Table:
    rows = world.contracts

    def col(name, typ=None):
        typ = typ or pa.string()
        return pa.array([r[name] for r in rows], typ)

    def fen(name):
        vals = np.array([r[name] if r[name] is not None else 0 for r in rows], dtype=np.int64)
        return ac.money(vals, np.array([r[name] is not None for r in rows], dtype=bool))

    return typed_table(
        "contracts",
        {
            **{n: col(n) for n in ("contract_id", "partner_id", "scope", "rate_model", "tiers")},
            "minimum_guarantee": fen("minimum_guarantee_fen"),
            "cap": fen("cap_fen"),
            "currency": col("currency"),
            "attribution_model": col("attribution_model"),
            "window_days": col("window_days", pa.int64()),
            "count_views": col("count_views", pa.bool_()),
            "effective_from": col("effective_from", pa.int32()),
            "effective_to": col("effective_to", pa.int32()),
        },
        world.profiles[sid].source.timezone,
    )


def fx_rates(world: World, sid: str, k: int) -> pa.Table:
    n = len(CURRENCIES)
    return typed_table(
        "fx_rates",
        {
            "date": ac.dates(np.full(n, world.window.first_day + k)),
            "currency": pa.array(CURRENCIES),
            "cny_per_unit": ac.decimal(np.array([world.fx[c][k] for c in CURRENCIES]), ac.RATE),
        },
        world.profiles[sid].source.timezone,
    )


def experiment_exposures(world: World, sid: str, k: int) -> pa.Table:
    x, m = world.exposures, world.members[sid]
    s = night_slice(x.night, k)
    tz = m.profile.source.timezone
    return typed_table(
        "experiment_exposures",
        {
            "source_user_id": m.source_user_id.take(x.member[s]),
            "experiment_id": pa.array(
                [world.experiments[i].id for i in x.experiment[s]], pa.string()
            ),
            "variant": pa.array(x.variant[s], pa.string()),
            "exposed_at": ac.timestamps(x.exposed_us[s], tz),
        },
        tz,
    )


BUILDERS = {
    "users": users,
    "events": events,
    "orders": orders,
    "campaign_delivery": campaign_delivery,
    "campaigns": campaigns,
    "catalog": catalog,
    "contracts": contracts,
    "fx_rates": fx_rates,
    "experiment_exposures": experiment_exposures,
}
