"""Which partner campaigns an order's net amount is credited to.

Rules (DESIGN.md, Money):
1. A referral code that names a campaign gives the whole order to that campaign.
2. Otherwise the person's campaign touches count: clicks, and views where the contract's
   ``count_views`` is set, inside the contract's ``window_days`` before the order. A touch is
   eligible only for a campaign whose partner holds a contract in force on the order date that
   covers the content. When the eligible touches belong to several partners, the platform's
   cross-partner rule (settlement.cross_partner_rule, ``CROSS_PARTNER_RULES``) shares the order
   between them: by default the partner of the most recent eligible touch wins it all (ties by
   campaign id). Each partner's contract model then splits its share over that partner's
   touches: last touch, first touch, linear, position-based 40/20/40 or time decay (half-life:
   settlement.time_decay_half_life_days).
3. Credits of one order are integer minor units that sum exactly to its net amount
   (largest-remainder allocation over the model's weights).
"""

from __future__ import annotations

import bisect
import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from alliance_pipeline.config import SettlementConfig
from alliance_pipeline.settlement.money import allocate
from alliance_pipeline.settlement.net import OrderNet
from alliance_pipeline.settlement.rates import SCOPE_PRIORITY, Contract

TOUCH_TYPES = ("click", "view")
DEFAULT_HALF_LIFE_DAYS = SettlementConfig().time_decay_half_life_days
DEFAULT_CROSS_PARTNER = SettlementConfig().cross_partner_rule
POSITION_WEIGHTS = (Fraction(2, 5), Fraction(1, 5), Fraction(2, 5))


@dataclass(frozen=True)
class Touch:
    campaign_id: str
    at: datetime.datetime
    kind: str  # click or view


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    partner_id: str
    referral_code: str | None


@dataclass(frozen=True)
class Content:
    owner_source: str | None
    co_brands: frozenset[str]


@dataclass(frozen=True, slots=True)
class Credit:
    order: OrderNet
    campaign_id: str
    partner_id: str
    contract: Contract | None
    method: str  # referral_code or the attribution model
    weight: Fraction
    credit_minor: int  # in the order currency


def touch_weights(
    model: str,
    touches: list[Touch],
    order_at: datetime.datetime,
    half_life_days: int = DEFAULT_HALF_LIFE_DAYS,
) -> list[Fraction]:
    """One weight per touch (touches sorted by time); weights sum to 1."""
    n = len(touches)
    if n == 0:
        return []
    if model == "last_touch":
        return [Fraction(0)] * (n - 1) + [Fraction(1)]
    if model == "first_touch":
        return [Fraction(1)] + [Fraction(0)] * (n - 1)
    if model == "linear":
        return [Fraction(1, n)] * n
    if model == "position_based":
        if n == 1:
            return [Fraction(1)]
        if n == 2:
            return [Fraction(1, 2)] * 2
        first, middle, last = POSITION_WEIGHTS
        return [first] + [middle / (n - 2)] * (n - 2) + [last]
    if model == "time_decay":
        raw = [_decay((order_at - t.at).total_seconds(), half_life_days) for t in touches]
        total = sum(raw, Fraction(0))
        return [w / total for w in raw]
    raise ValueError(f"unknown attribution model {model!r}")


@functools.lru_cache(maxsize=65_536)
def _decay(age_seconds: float, half_life_days: int) -> Fraction:
    """A touch's raw time-decay weight, 2 ** (-age / half-life) in 34-digit decimals (one
    computation per distinct age: touches share their ages to the minute or second)."""
    with localcontext() as ctx:
        ctx.prec = 34
        return Fraction(Decimal(2) ** (-Decimal(age_seconds) / Decimal(half_life_days * 86_400)))


# The cross-partner rules (settlement.cross_partner_rule): each partner's eligible touches (the
# partner of the latest touch first) -> the share of the order each partner gets (sum 1).
CROSS_PARTNER_RULES = {
    # the partner of the latest eligible touch takes the whole order
    "latest_partner": lambda paths: [Fraction(1)] + [Fraction(0)] * (len(paths) - 1),
    # in proportion to the partners' numbers of eligible touches
    "by_touches": lambda paths: [Fraction(len(p), sum(map(len, paths))) for p in paths],
    # the same share each
    "equal": lambda paths: [Fraction(1, len(paths)) for _ in paths],
}


def split_order(net_minor: int, touches: list[Touch], weights: list[Fraction]) -> dict[str, tuple]:
    """campaign_id -> (weight, credit_minor); credits sum to ``net_minor`` exactly."""
    per_campaign: dict[str, Fraction] = defaultdict(Fraction)
    for touch, w in zip(touches, weights, strict=True):
        per_campaign[touch.campaign_id] += w
    ids = sorted(c for c, w in per_campaign.items() if w > 0)
    credits = allocate(net_minor, [per_campaign[c] for c in ids])
    return {c: (per_campaign[c], m) for c, m in zip(ids, credits, strict=True)}


class Attributor:
    def __init__(
        self,
        campaigns: list[Campaign],
        contracts: list[Contract],
        catalog: dict[str, Content],
        touches_by_person: dict[str, list[Touch]],
        half_life_days: int = DEFAULT_HALF_LIFE_DAYS,
        cross_partner: str = DEFAULT_CROSS_PARTNER,
    ):
        if cross_partner not in CROSS_PARTNER_RULES:
            raise ValueError(f"unknown settlement.cross_partner_rule {cross_partner!r}")
        self.partner_shares = CROSS_PARTNER_RULES[cross_partner]
        self.campaigns = {c.campaign_id: c for c in campaigns}
        self.by_code = {c.referral_code: c for c in campaigns if c.referral_code}
        self.contracts_by_partner: dict[str, list[Contract]] = defaultdict(list)
        for c in contracts:
            self.contracts_by_partner[c.partner_id].append(c)
        self.catalog = catalog
        self.touches = {
            p: sorted(ts, key=lambda t: (t.at, t.campaign_id))
            for p, ts in touches_by_person.items()
        }
        self.times = {p: [t.at for t in ts] for p, ts in self.touches.items()}
        self.longest = datetime.timedelta(days=max((c.window_days for c in contracts), default=0))
        self.half_life_days = half_life_days
        self._contracts: dict[tuple, Contract | None] = {}

    def candidates(self, order: OrderNet) -> list[Touch]:
        """The person's touches up to the order and within the longest window before it."""
        times = self.times.get(order.person_key)
        if not times:
            return []
        lo = bisect.bisect_left(times, order.ordered_at - self.longest)
        hi = bisect.bisect_right(times, order.ordered_at)
        return self.touches[order.person_key][lo:hi]

    def contract_for(self, partner_id: str, order: OrderNet) -> Contract | None:
        """The most specific contract of the partner in force on the order date covering it."""
        key = (partner_id, order.content_id, order.order_date)
        if key not in self._contracts:
            self._contracts[key] = self._contract_for(partner_id, order)
        return self._contracts[key]

    def _contract_for(self, partner_id: str, order: OrderNet) -> Contract | None:
        content = self.catalog.get(order.content_id, Content(None, frozenset()))
        candidates = [
            c
            for c in self.contracts_by_partner.get(partner_id, [])
            if c.in_force(order.order_date) and c.covers(content.owner_source, content.co_brands)
        ]
        if not candidates:
            return None
        return min(
            candidates,
            key=lambda c: (
                SCOPE_PRIORITY.index(c.scope),
                -c.effective_from.toordinal(),
                c.contract_id,
            ),
        )

    def _eligible(self, touch: Touch, order: OrderNet) -> Contract | None:
        campaign = self.campaigns.get(touch.campaign_id)
        if campaign is None or touch.at > order.ordered_at:
            return None
        contract = self.contract_for(campaign.partner_id, order)
        if contract is None:
            return None
        if touch.kind == "view" and not contract.count_views:
            return None
        if order.ordered_at - touch.at > datetime.timedelta(days=contract.window_days):
            return None
        return contract

    def attribute(self, order: OrderNet) -> list[Credit]:
        campaign = self.by_code.get(order.referral_code) if order.referral_code else None
        if campaign is not None:
            contract = self.contract_for(campaign.partner_id, order)
            return [
                Credit(
                    order,
                    campaign.campaign_id,
                    campaign.partner_id,
                    contract,
                    "referral_code",
                    Fraction(1),
                    order.net_minor,
                )
            ]
        eligible = [
            (t, c) for t in self.candidates(order) if (c := self._eligible(t, order)) is not None
        ]
        if not eligible:
            return []
        paths: dict[str, tuple[Contract, list[Touch]]] = {}
        for t, c in reversed(eligible):  # the latest touch's partner first
            paths.setdefault(c.contract_id, (c, []))[1].append(t)
        for _, path in paths.values():
            path.reverse()
        shares = self.partner_shares([path for _, path in paths.values()])
        parts = allocate(order.net_minor, shares)
        credits = []
        for (contract, path), share, part in zip(paths.values(), shares, parts, strict=True):
            if share == 0:
                continue
            weights = touch_weights(
                contract.attribution_model, path, order.ordered_at, self.half_life_days
            )
            credits.extend(
                Credit(
                    order,
                    cid,
                    contract.partner_id,
                    contract,
                    contract.attribution_model,
                    share * w,
                    m,
                )
                for cid, (w, m) in split_order(part, path, weights).items()
            )
        return credits

    def attribute_all(self, orders: list[OrderNet]) -> list[Credit]:
        return [credit for order in orders for credit in self.attribute(order)]
