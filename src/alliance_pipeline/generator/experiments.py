"""Experiment exposures and a planted effect (the registry's experiments, on the platform).

Each experiment of ``config/experiments.yml`` running inside the window exposes a share of the
platform's members (those registered by then) on a random night of its dates, some of them
again on a later night; a member's variant is the pipeline's own assignment
(:func:`alliance_pipeline.experiments.assignment.variant_of`) of the person_key de-identification
will give them (the development key of ``config/airflow-connections.json``).

The planted effect: every platform order a member of the first non-control variant places
after their first exposure is ordered again, a little later that night, with probability
``planted_lift`` (+8% orders per exposed person by default); the repeat is a new order id after
the source's last one. Everything draws from its own random stream, so the other datasets of
a seed stay as they were, bar these added orders.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import numpy as np

from alliance_pipeline.experiments.assignment import variant_of
from alliance_pipeline.experiments.registry import Experiment
from alliance_pipeline.generator.activity import US_PER_DAY, US_PER_S, Orders, Window
from alliance_pipeline.generator.people import Members
from alliance_pipeline.generator.platform_data import day_number
from alliance_pipeline.privacy.normalise import normalise_email, normalise_mobile
from alliance_pipeline.privacy.pseudonym import FALLBACK_PREFIX, PseudonymKey, person_key
from alliance_pipeline.settings import CONFIG_DIR, PSEUDONYM_KEY_CONN_ID

REPEAT_EXPOSURE_P = 0.4


@dataclass
class Exposures:
    """Exposure rows of one source, sorted by night."""

    night: np.ndarray
    member: np.ndarray
    experiment: np.ndarray  # index into the experiments list
    variant: list[str]
    exposed_us: np.ndarray


def no_exposures() -> Exposures:
    empty = np.zeros(0, dtype=np.int64)
    return Exposures(empty, empty, empty, [], empty)


def development_key() -> PseudonymKey:
    """The committed development key (demo and tests only) the pipeline pseudonymises with."""
    conns = json.loads((CONFIG_DIR / "airflow-connections.json").read_text(encoding="utf-8"))
    conn = conns["connections"][PSEUDONYM_KEY_CONN_ID]
    return PseudonymKey(conn["password"].encode("utf-8"), str(conn["extra"]["version"]))


def member_person_keys(members: Members, idx: np.ndarray, key: PseudonymKey) -> list[str]:
    """The person_key de-identification gives these members (mobile, else e-mail, else the
    source user: the pseudonym rule)."""
    sid = members.profile.source.id
    out = []
    for i in idx.tolist():
        ident = (
            normalise_mobile(members.mobile[i].as_py())
            or normalise_email(members.email[i].as_py())
            or f"{FALLBACK_PREFIX}:{sid}:{members.source_user_id[i].as_py()}"
        )
        out.append(person_key(key, ident))
    return out


def in_window(experiments: list[Experiment], dates: list[datetime.date]) -> list[Experiment]:
    return [e for e in experiments if e.start_date <= dates[-1] and e.end_date >= dates[0]]


def draw_exposures(
    rng: np.random.Generator,
    members: Members,
    window: Window,
    experiments: list[Experiment],
    share: float,
    key: PseudonymKey,
) -> Exposures:
    parts: list[tuple[np.ndarray, ...]] = []
    variants: list[str] = []
    keys: dict[int, str] = {}  # member -> person_key, computed once per member
    for x, exp in enumerate(experiments):
        first = max(day_number(exp.start_date) - window.first_day, 0)
        last = min(day_number(exp.end_date) - window.first_day, window.days - 1)
        chosen = np.flatnonzero(rng.random(members.n) < share)
        night = rng.integers(first, last + 1, size=chosen.size)
        at = window.start_us + night * US_PER_DAY + rng.integers(0, 86_400, chosen.size) * US_PER_S
        ok = members.registered_us[chosen] < at
        chosen, night, at = chosen[ok], night[ok], at[ok]
        again = (rng.random(chosen.size) < REPEAT_EXPOSURE_P) & (night < last)
        later = night[again] + 1 + (rng.random(again.sum()) * (last - night[again])).astype(int)
        at2 = window.start_us + later * US_PER_DAY + rng.integers(0, 86_400, later.size) * US_PER_S
        new = np.array([m for m in chosen.tolist() if m not in keys], dtype=np.int64)
        keys.update(zip(new.tolist(), member_person_keys(members, new, key), strict=True))
        ids = {m: variant_of(keys[m], exp) for m in chosen.tolist()}
        member = np.concatenate([chosen, chosen[again]])
        parts.append((np.concatenate([night, later]), member, np.full(member.size, x),
                      np.concatenate([at, at2])))  # fmt: skip
        variants += [ids[m] for m in member.tolist()]
    if not parts:
        return no_exposures()
    night, member, experiment, at = (np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.lexsort((at, night))
    return Exposures(
        night[order], member[order], experiment[order], [variants[i] for i in order], at[order]
    )


def first_exposures(exposures: Exposures, members: int, experiment: int) -> np.ndarray:
    """Each member's first exposure (µs) to one experiment, -1 when never exposed."""
    first = np.full(members, np.iinfo(np.int64).max)
    rows = exposures.experiment == experiment
    np.minimum.at(first, exposures.member[rows], exposures.exposed_us[rows])
    return np.where(first == np.iinfo(np.int64).max, -1, first)


def planted_orders(
    rng: np.random.Generator,
    orders: Orders,
    first_exposed_us: np.ndarray,
    treated: np.ndarray,
    lift: float,
    window: Window,
) -> Orders:
    """The repeat orders that make ``lift`` more orders per treated member after exposure:
    each first delivery of an order a ``treated`` member placed after ``first_exposed_us``
    is repeated with probability ``lift``, later the same night, under a new order number."""
    first = first_exposed_us[orders.member]
    original = (orders.status == 0) & (orders.updated_us == orders.ordered_us)
    eligible = original & treated[orders.member] & (first >= 0) & (orders.ordered_us >= first)
    hit = np.flatnonzero(eligible & (rng.random(orders.night.size) < lift))
    night_end = window.start_us + (orders.night[hit] + 1) * US_PER_DAY - US_PER_S
    at = np.minimum(orders.ordered_us[hit] + rng.integers(60, 3600, hit.size) * US_PER_S, night_end)
    start = int(orders.order_no.max(initial=0)) + 1
    rows = {f: getattr(orders, f)[hit] for f in Orders.__dataclass_fields__}
    rows.update(
        order_no=np.arange(start, start + hit.size),
        ordered_us=at,
        updated_us=at,
        referral=np.full(hit.size, -1),
        campaign=np.full(hit.size, -1),
    )
    return Orders(**rows)


def with_orders(orders: Orders, extra: Orders) -> Orders:
    """``orders`` and ``extra``, by night; each night's existing rows first, in their order."""
    merged = {
        f: np.concatenate([getattr(orders, f), getattr(extra, f)])
        for f in Orders.__dataclass_fields__
    }
    order = np.argsort(merged["night"], kind="stable")
    return Orders(**{f: v[order] for f, v in merged.items()})


def plant(
    rng: np.random.Generator,
    orders: Orders,
    exposures: Exposures,
    experiments: list[Experiment],
    members: int,
    lift: float,
    window: Window,
) -> Orders:
    """The platform's orders with the planted effect of every experiment's first treatment."""
    for x, exp in enumerate(experiments):
        if not lift:
            break
        target = next(v.id for v in exp.variants if not v.control)
        first = first_exposures(exposures, members, x)
        treated = np.zeros(members, dtype=bool)
        rows = (exposures.experiment == x) & (np.array(exposures.variant, dtype=object) == target)
        treated[exposures.member[rows]] = True
        orders = with_orders(orders, planted_orders(rng, orders, first, treated, lift, window))
    return orders
