"""Revenue-share contracts: flat, graduated (tax-bracket) and volume rate models, guarantee, cap."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from alliance_pipeline.settlement.money import round_half_even, to_minor

# Scopes from the most to the least specific: an order goes to one contract per partner.
SCOPE_PRIORITY = ("own_content", "co_brand_content", "all_attributed")


@dataclass(frozen=True)
class Tier:
    from_minor: int
    rate: Decimal


@dataclass(frozen=True)
class Contract:
    contract_id: str
    partner_id: str
    scope: str
    rate_model: str
    tiers: tuple[Tier, ...]
    minimum_guarantee_minor: int | None
    cap_minor: int | None
    currency: str
    attribution_model: str
    window_days: int
    count_views: bool
    effective_from: datetime.date
    effective_to: datetime.date | None

    def in_force(self, day: datetime.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def covers(self, content_owner: str | None, co_brands: frozenset[str]) -> bool:
        if self.scope == "own_content":
            return content_owner == self.partner_id
        if self.scope == "co_brand_content":
            return self.partner_id in co_brands
        return True


def parse_tiers(text: str, currency: str) -> tuple[Tier, ...]:
    tiers = sorted(
        (
            Tier(to_minor(Decimal(t["from"]), currency), Decimal(t["rate"]))
            for t in json.loads(text)
        ),
        key=lambda t: t.from_minor,
    )
    if not tiers or tiers[0].from_minor != 0:
        raise ValueError("contract tiers must start at 0")
    return tuple(tiers)


def contract_from_row(row: dict) -> Contract:
    cur = row["currency"]

    def money(name: str) -> int | None:
        value = row.get(name)
        return to_minor(value, cur) if isinstance(value, Decimal) else None

    eff_to = row.get("effective_to")
    return Contract(
        contract_id=row["contract_id"],
        partner_id=row["partner_id"],
        scope=row["scope"],
        rate_model=row["rate_model"],
        tiers=parse_tiers(row["tiers"], cur),
        minimum_guarantee_minor=money("minimum_guarantee"),
        cap_minor=money("cap"),
        currency=cur,
        attribution_model=row["attribution_model"] or "last_touch",
        window_days=int(row["window_days"]),
        count_views=bool(row["count_views"]),
        effective_from=row["effective_from"],
        effective_to=None if eff_to is None or pd.isna(eff_to) else eff_to,
    )


def contracts_from_frame(df: pd.DataFrame) -> list[Contract]:
    return [contract_from_row(r) for r in df.sort_values("contract_id").to_dict("records")]


def exact_share(model: str, tiers: tuple[Tier, ...], net_minor: int) -> Fraction:
    """The partner's share of a period's attributed net revenue before guarantee and cap."""
    if net_minor <= 0:
        return Fraction(0)
    if model == "flat":
        return net_minor * Fraction(tiers[0].rate)
    if model == "volume":
        reached = [t for t in tiers if t.from_minor <= net_minor][-1]
        return net_minor * Fraction(reached.rate)
    if model == "graduated":
        share = Fraction(0)
        bounds = [t.from_minor for t in tiers[1:]] + [None]
        for tier, upper in zip(tiers, bounds, strict=True):
            top = net_minor if upper is None else min(net_minor, upper)
            if top > tier.from_minor:
                share += (top - tier.from_minor) * Fraction(tier.rate)
        return share
    raise ValueError(f"unknown rate model {model!r}")


@dataclass(frozen=True)
class ShareBreakdown:
    rate_share: int  # rounded half-even once
    top_up: int  # >= 0: minimum guarantee top-up
    cap_adjustment: int  # <= 0: brings the total down to the cap


def partner_share(contract: Contract, net_minor: int, guarantee: bool = True) -> ShareBreakdown:
    """A period's partner share; ``guarantee=False``: before the minimum guarantee (a period
    that has not ended yet)."""
    rate_share = round_half_even(exact_share(contract.rate_model, contract.tiers, net_minor))
    top_up = 0
    mg = contract.minimum_guarantee_minor
    if guarantee and mg is not None and rate_share < mg:
        top_up = mg - rate_share
    cap_adj = 0
    if contract.cap_minor is not None and rate_share + top_up > contract.cap_minor:
        cap_adj = contract.cap_minor - (rate_share + top_up)
    return ShareBreakdown(rate_share, top_up, cap_adj)


def partner_total(contract: Contract, net_minor: int) -> int:
    s = partner_share(contract, net_minor)
    return s.rate_share + s.top_up + s.cap_adjustment


def regime(contract: Contract, net_minor: int) -> tuple[int, str]:
    """Where a period's net lies for the partner share: the tier reached (-1 below zero) and
    what decides the total (``rate``, ``guarantee`` or ``cap``). Within one regime the partner
    total moves with the net at one marginal rate (up to its one rounding)."""
    if net_minor < 0:
        return -1, "rate"
    tier = 0 if contract.rate_model == "flat" else _reached(contract.tiers, net_minor)
    s = partner_share(contract, net_minor)
    return tier, "cap" if s.cap_adjustment else "guarantee" if s.top_up else "rate"


def marginal_rate(contract: Contract, net_minor: int) -> Fraction:
    """The partner's share of one more minor unit of net at ``net_minor`` (0 where the
    guarantee or the cap decides the total)."""
    tier, decides = regime(contract, net_minor)
    if tier < 0 or decides != "rate":
        return Fraction(0)
    return Fraction(contract.tiers[tier].rate)


def _reached(tiers: tuple[Tier, ...], net_minor: int) -> int:
    return max(i for i, t in enumerate(tiers) if t.from_minor <= net_minor)
