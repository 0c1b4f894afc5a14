"""What the platform owns: catalog, campaigns with partners, contracts, daily fx rates."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.contracts import (
    ATTRIBUTION_MODELS,
    CATEGORIES,
    CURRENCIES,
    OBJECTIVES,
    RATE_MODELS,
)
from alliance_pipeline.generator.arrowcols import US_PER_DAY
from alliance_pipeline.generator.reference import (
    CAMPAIGN_WORDS,
    PRICE_POINTS_FEN,
    TITLE_ENDINGS,
    TITLE_TOPICS,
)
from alliance_pipeline.registry import Source

EPOCH = datetime.date(1970, 1, 1)
FX_BASE_MICRO = {"CNY": 1_000_000, "USD": 7_100_000, "HKD": 912_000, "EUR": 7_750_000}


def day_number(d: datetime.date) -> int:
    return (d - EPOCH).days


@dataclass
class Catalog:
    content_id: pa.Array
    title: pa.Array
    owner: np.ndarray  # source id per content
    co_brand: pa.Array  # ';'-joined partner ids or null
    category: np.ndarray  # index into CATEGORIES
    price_fen: np.ndarray
    launched_us: np.ndarray
    popularity: np.ndarray  # Zipf weight inside its category

    @property
    def n(self) -> int:
        return len(self.category)


def make_catalog(rng, n_persons: int, platform: str, partners: list[str], start_us: int) -> Catalog:
    n = int(np.clip(n_persons // 100, 40, 3000))
    category = rng.integers(0, len(CATEGORIES), size=n)
    owners = np.array([platform, *partners])
    owner_p = np.array([3.0] + [1.0] * len(partners))
    owner = owners[rng.choice(len(owners), size=n, p=owner_p / owner_p.sum())]
    co = np.full(n, None, dtype=object)
    if partners:
        for i in np.flatnonzero(rng.random(n) < 0.25):
            pick = rng.choice(partners, size=min(len(partners), rng.integers(1, 3)), replace=False)
            pick = sorted(set(pick) - {owner[i]})
            co[i] = ";".join(pick) or None
    topic = rng.integers(0, 6, size=n)
    ending = rng.integers(0, len(TITLE_ENDINGS), size=n)
    topics = pa.array(
        [TITLE_TOPICS[CATEGORIES[c]][t] for c, t in zip(category, topic, strict=True)]
    )
    title = pc.binary_join_element_wise(topics, pa.array(TITLE_ENDINGS).take(ending), "")
    tier = np.clip(rng.normal(3.5, 1.8, size=n).round().astype(int), 0, len(PRICE_POINTS_FEN) - 1)
    rank = np.empty(n)
    for c in range(len(CATEGORIES)):
        rows = np.flatnonzero(category == c)
        rank[rows] = rng.permutation(rows.size) + 1
    return Catalog(
        content_id=pa.array([f"C{i + 1:05d}" for i in range(n)]),
        title=title,
        owner=owner,
        co_brand=pa.array(co, pa.string()),
        category=category,
        price_fen=np.array(PRICE_POINTS_FEN)[tier],
        launched_us=start_us
        - (rng.uniform(30, 900, size=n) * US_PER_DAY).astype(np.int64) // 1_000_000 * 1_000_000,
        popularity=1.0 / rank**1.1,
    )


@dataclass
class Campaigns:
    campaign_id: list[str]
    partner_id: list[str]
    name: list[str]
    referral_code: list[str | None]
    start_day: np.ndarray
    end_day: np.ndarray
    budget_fen: np.ndarray
    objective: list[str]
    channels: list[tuple[int, ...]]  # indexes into DELIVERY_CHANNELS

    @property
    def n(self) -> int:
        return len(self.campaign_id)


def make_campaigns(
    rng, partners: list[str], first: datetime.date, last: datetime.date
) -> Campaigns:
    days = (last - first).days + 1
    rows: dict[str, list] = {k: [] for k in Campaigns.__dataclass_fields__}
    for partner in partners:
        letters = "".join(ch for ch in partner.upper() if ch.isalpha())[:4] or "PART"
        spans = (
            (first - datetime.timedelta(days=20), last + datetime.timedelta(days=10)),
            (
                first + datetime.timedelta(days=days // 3),
                first + datetime.timedelta(days=days // 3 + max(7, days // 2)),
            ),
            (last - datetime.timedelta(days=5), last + datetime.timedelta(days=20)),
        )
        for k, (start, end) in enumerate(spans):
            rows["campaign_id"].append(f"CMP-{partner}-{k + 1:02d}")
            rows["partner_id"].append(partner)
            rows["name"].append(f"{CAMPAIGN_WORDS[rng.integers(len(CAMPAIGN_WORDS))]}·{partner}")
            rows["referral_code"].append(
                None if k == 2 else f"{letters}{rng.integers(10, 99)}{k + 1}"
            )
            rows["start_day"].append(day_number(start))
            rows["end_day"].append(day_number(end))
            rows["budget_fen"].append(int(rng.integers(5, 50)) * 1_000_000)
            rows["objective"].append(OBJECTIVES[(k + len(rows["objective"])) % len(OBJECTIVES)])
            rows["channels"].append(
                tuple(sorted(rng.choice(5, size=rng.integers(2, 5), replace=False)))
            )
    return Campaigns(
        **{
            k: np.array(v, dtype=np.int64) if k.endswith(("_day", "_fen")) else v
            for k, v in rows.items()
        }
    )


def contracts_rows(partners: list[Source], end: datetime.date) -> list[dict]:
    """Every rate model, several attribution models and windows; one partner holds two scopes."""
    out = []
    for i, partner in enumerate(partners):
        scopes = ("co_brand_content", "own_content") if i == 0 else ("all_attributed",)
        for j, scope in enumerate(scopes):
            k = i + j
            model = RATE_MODELS[k % len(RATE_MODELS)]
            out.append(
                {
                    "contract_id": f"K-{partner.id}-{j + 1}",
                    "partner_id": partner.id,
                    "scope": scope,
                    "rate_model": model,
                    "tiers": json.dumps(_tiers(model, k)),
                    "minimum_guarantee_fen": 200_000 if k % 2 == 0 else None,
                    "cap_fen": 8_000_000 if k % 3 == 1 else None,
                    "currency": "HKD" if partner.timezone == "Asia/Hong_Kong" else "CNY",
                    "attribution_model": ATTRIBUTION_MODELS[k % len(ATTRIBUTION_MODELS)],
                    "window_days": (7, 14, 30)[k % 3],
                    "count_views": k % 2 == 1,
                    "effective_from": day_number(datetime.date(end.year - 1, 1, 1)),
                    "effective_to": day_number(end + datetime.timedelta(days=180))
                    if k % 4 == 3
                    else None,
                }
            )
    return out


def _tiers(model: str, k: int) -> list[dict]:
    if model == "flat":
        return [{"from": "0.00", "rate": f"{0.12 + 0.01 * (k % 4):.6f}"}]
    return [
        {"from": "0.00", "rate": "0.100000"},
        {"from": "20000.00", "rate": "0.150000"},
        {"from": "100000.00", "rate": "0.200000"},
    ]


def fx_micro(rng, days: int) -> dict[str, np.ndarray]:
    """CNY per unit in millionths for each day of the window (a small random walk)."""
    out = {}
    for cur in CURRENCIES:
        if cur == "CNY":
            out[cur] = np.full(days, 1_000_000, dtype=np.int64)
            continue
        walk = np.cumsum(rng.normal(0, 0.002, size=days))
        out[cur] = (FX_BASE_MICRO[cur] * np.exp(walk)).round().astype(np.int64)
    return out
