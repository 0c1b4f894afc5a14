"""The persons behind every source: true identities, planted behaviour groups, memberships.

A person is one true identity (one mobile, one e-mail, one resident id); each source knows a
subset of persons under its own user id and spells their identifiers its own way. That subset
structure is the planted overlap that de-identification must recover.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.contracts import CATEGORIES, MEMBERSHIP_TIERS
from alliance_pipeline.generator import identifiers as ident
from alliance_pipeline.generator.arrowcols import US_PER_DAY
from alliance_pipeline.generator.config import SourceProfile, source_rng
from alliance_pipeline.generator.reference import CITIES, EMAIL_DOMAINS, GIVEN_CHARS, SURNAMES


@dataclass(frozen=True)
class Group:
    """A planted behaviour group: what segmentation should find again."""

    name: str
    share: float
    activity: float  # relative number of events
    buying: float  # relative number of orders
    price_bias: float  # > 1 prefers expensive content
    watch_s: float  # median seconds per play
    completion: float  # probability that a started content is completed
    tier_base: int
    categories: tuple[str, ...]  # preferred categories, most preferred first


GROUPS = (
    Group("high-spend finishers", 0.15, 1.6, 3.0, 2.5, 1500, 0.75, 2, ("business", "finance", "technology")),
    Group("casual browsers", 0.40, 0.6, 0.4, 0.6, 150, 0.08, 0, ("arts", "health")),
    Group("exam learners", 0.25, 1.5, 1.0, 1.0, 2400, 0.45, 1, ("exam_prep", "language")),
    Group("family planners", 0.20, 1.0, 1.2, 1.0, 600, 0.30, 1, ("parenting", "health", "arts")),
)  # fmt: skip


def category_preferences(groups: tuple[Group, ...]) -> np.ndarray:
    """(groups, categories) probabilities: 75% on the group's preferred categories."""
    pref = np.full((len(groups), len(CATEGORIES)), 0.25 / len(CATEGORIES))
    for g, group in enumerate(groups):
        w = np.array([0.5**i for i in range(len(group.categories))])
        for cat, share in zip(group.categories, w / w.sum(), strict=True):
            pref[g, CATEGORIES.index(cat)] += 0.75 * share
    return pref / pref.sum(axis=1, keepdims=True)


@dataclass
class Persons:
    n: int
    group: np.ndarray
    male: np.ndarray
    gender: pa.Array  # F, M, U
    full_name: pa.Array
    birth_days: np.ndarray  # days since epoch
    city: np.ndarray  # index into CITIES
    resident_id: np.ndarray  # str
    mobile: np.ndarray  # int64
    email: pa.Array
    activity: np.ndarray  # heavy-tailed per-person weight
    tier_base: np.ndarray


def make_persons(rng: np.random.Generator, n: int, ref_day: int, groups=GROUPS) -> Persons:
    shares = np.array([g.share for g in groups])
    group = rng.choice(len(groups), size=n, p=shares / shares.sum())
    gender_draw = rng.random(n)
    male = gender_draw < 0.49
    unknown = gender_draw > 0.98
    gender = pa.array(np.where(unknown, "U", np.where(male, "M", "F")))

    sur_w = np.array([s[2] for s in SURNAMES])
    surname = rng.choice(len(SURNAMES), size=n, p=sur_w / sur_w.sum())
    first, second = _given_chars(rng, male, n)
    chars = pa.array([c[0] for c in GIVEN_CHARS])
    pinyin = pa.array([c[1] for c in GIVEN_CHARS])
    sur_chars = pa.array([s[0] for s in SURNAMES])
    sur_pinyin = pa.array([s[1] for s in SURNAMES])
    two = second >= 0
    given = pc.binary_join_element_wise(
        chars.take(first), pc.if_else(pa.array(two), chars.take(np.maximum(second, 0)), ""), ""
    )
    full_name = pc.binary_join_element_wise(sur_chars.take(surname), given, "")

    age_years = 18 + rng.gamma(3.0, 5.5, size=n).clip(0, 52)
    birth_days = (ref_day - age_years * 365.25).astype(np.int64)
    city_w = np.array([c[4] for c in CITIES])
    city = rng.choice(len(CITIES), size=n, p=city_w / city_w.sum())
    born_elsewhere = rng.random(n) < 0.25
    birth_city = np.where(born_elsewhere, rng.choice(len(CITIES), size=n), city)
    region = np.array([int(c[3]) for c in CITIES])[birth_city]
    resident_id = ident.resident_ids(rng, region, birth_days.astype("datetime64[D]"), male)

    handle_style = rng.integers(0, 4, size=n)
    g_py = pinyin.take(first)
    s_py = sur_pinyin.take(surname)
    qq = pa.array(rng.integers(10_000, 99_999, size=n)).cast(pa.string())
    handle = pc.case_when(
        pc.make_struct(*[pa.array(handle_style == i) for i in range(3)]),
        pc.binary_join_element_wise(g_py, s_py, ""),
        pc.binary_join_element_wise(s_py, g_py, "."),
        pc.binary_join_element_wise(s_py, "_", g_py, ""),
        qq,
    )
    dom_w = np.array([d[1] for d in EMAIL_DOMAINS], dtype=float)
    domains = np.array([d[0] for d in EMAIL_DOMAINS])[
        rng.choice(len(EMAIL_DOMAINS), size=n, p=dom_w / dom_w.sum())
    ]
    group_act = np.array([g.activity for g in groups])[group]
    return Persons(
        n=n,
        group=group,
        male=male,
        gender=gender,
        full_name=full_name,
        birth_days=birth_days,
        city=city,
        resident_id=resident_id,
        mobile=ident.mobiles(rng, n),
        email=ident.emails(rng, handle, domains, n),
        activity=rng.lognormal(0.0, 1.0, size=n) * group_act,
        tier_base=np.array([g.tier_base for g in groups])[group],
    )


def _given_chars(rng, male, n):
    leaning = np.array([c[3] for c in GIVEN_CHARS])
    weights = np.array([c[2] for c in GIVEN_CHARS], dtype=float)
    first = np.empty(n, dtype=np.int64)
    second = np.empty(n, dtype=np.int64)
    for is_male, lean in ((True, "M"), (False, "F")):
        pool = np.flatnonzero((leaning == lean) | (leaning == "U"))
        p = weights[pool] / weights[pool].sum()
        rows = np.flatnonzero(male == is_male)
        first[rows] = rng.choice(pool, size=rows.size, p=p)
        second[rows] = rng.choice(pool, size=rows.size, p=p)
    second[rng.random(n) < 0.3] = -1
    return first, second


@dataclass
class Members:
    """The persons one source knows, sorted by registration time."""

    profile: SourceProfile
    person: np.ndarray
    registered_us: np.ndarray
    source_user_id: pa.Array
    mobile: pa.Array  # as this source spells it
    email: pa.Array
    id_card_no: pa.Array
    tier: np.ndarray
    consent: np.ndarray
    change_us: np.ndarray  # one later change of consent or tier; -1 when none
    change_kind: np.ndarray  # 0 consent toggled, 1 tier upgraded

    @property
    def n(self) -> int:
        return len(self.person)


def membership_masks(seed: int, profiles: list[SourceProfile], n: int) -> np.ndarray:
    """(sources, persons) bool: who each source knows; everybody is known somewhere."""
    masks = np.stack(
        [source_rng(seed, p.source.id, "members").random(n) < p.membership for p in profiles]
    )
    masks[0, ~masks.any(axis=0)] = True
    return masks


def make_members(
    seed: int, prof: SourceProfile, persons: Persons, mask: np.ndarray, start_us: int, days: int
) -> Members:
    rng = source_rng(seed, prof.source.id, "member-details")
    person = np.flatnonzero(mask)
    m = person.size
    p_new = 1 - np.exp(-days / 400)
    new = rng.random(m) < p_new
    before = start_us - (rng.exponential(400, size=m) * US_PER_DAY).astype(np.int64) - 3_600_000_000
    during = start_us + rng.integers(0, days * US_PER_DAY, size=m)
    registered = np.where(new, during, before) // 1_000_000 * 1_000_000
    order = np.argsort(registered, kind="stable")
    person, registered = person[order], registered[order]

    low = 10 ** (prof.id_digits - 1)
    numbers = _distinct(rng, low, 10 * low, m)
    suid = pc.binary_join_element_wise(prof.id_prefix, pa.array(numbers).cast(pa.string()), "")

    style = rng.choice(len(prof.mobile_style_p), size=m, p=prof.mobile_style_p)
    mobile = ident.format_mobiles(persons.mobile[person], style, rng.random(m) < prof.full_width_p)
    email = ident.spell_emails(
        persons.email.take(person),
        rng.random(m) < prof.email_upper_p,
        rng.random(m) < prof.email_title_p,
        rng.random(m) < prof.email_pad_p,
    )
    email = pc.if_else(
        pa.array(rng.random(m) < prof.email_missing_p), pa.scalar(None, pa.string()), email
    )
    rid = pa.array(persons.resident_id[person])
    if prof.id_card_lower_x:
        rid = pc.utf8_lower(rid)
    rid = pc.if_else(
        pa.array(rng.random(m) < prof.id_card_missing_p), pa.scalar(None, pa.string()), rid
    )

    tier = np.clip(
        persons.tier_base[person] + rng.integers(-1, 2, size=m), 0, len(MEMBERSHIP_TIERS) - 2
    )
    consent = rng.random(m) < 0.65
    changes = rng.random(m) < 1 - (1 - 0.002) ** max(days - 1, 0)
    change_us = np.where(
        changes, start_us + rng.integers(US_PER_DAY, max(days, 2) * US_PER_DAY, size=m), -1
    )
    change_us = np.where(
        change_us > registered + 3_600_000_000, change_us // 1_000_000 * 1_000_000, -1
    )
    return Members(
        profile=prof,
        person=person,
        registered_us=registered,
        source_user_id=suid,
        mobile=mobile,
        email=email,
        id_card_no=rid,
        tier=tier,
        consent=consent,
        change_us=change_us,
        change_kind=rng.integers(0, 2, size=m),
    )


def _distinct(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        out = np.concatenate([out, rng.integers(low, high, size=n - out.size + 8)])
        _, first = np.unique(out, return_index=True)
        out = out[np.sort(first)]
    return out[:n]
