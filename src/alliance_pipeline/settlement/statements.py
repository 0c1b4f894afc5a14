"""Settlement statements per partner, contract and period (calendar month, Asia/Shanghai).

A statement is a header plus lines, all amounts in the contract currency's minor units:

- ``order`` lines: one per (order, credited campaign); the order's net is converted once at its
  order date's fx rate, rounded half-even once, and split over its credits by largest
  remainder. The period's rate share (rounded once) is spread over the order lines by largest
  remainder, so the lines sum to the header.
- ``top_up`` (minimum guarantee) and ``cap`` lines: net 0, partner share +/-. The guarantee
  accrues once the month has ended (a month under way shows its rate share only).
- Every month in which a contract is in force has a statement, with or without orders.
- ``adjustment`` lines: corrections of a closed period P posted in the next open period after P.
  P is recomputed "as if" with today's data and compared with what was settled for P (its closed
  lines plus adjustments to P already in closed statements): every order whose net moved gets a
  line with a reason code and the partner-share change its own order caused (its net change at
  the settled period's marginal rate); what no single order caused (a tier, guarantee or cap
  crossing, changed contract terms) goes on one ``RATE_RECALC`` line.

Every line has platform share = net - partner share, so shares sum to net to the fen.
Closed statements are inputs here and are never rebuilt.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, replace
from fractions import Fraction

from alliance_pipeline.settlement.attribution import Credit
from alliance_pipeline.settlement.money import allocate, round_half_even, round_parts
from alliance_pipeline.settlement.net import FxRates, period_of
from alliance_pipeline.settlement.rates import (
    Contract,
    marginal_rate,
    partner_share,
    partner_total,
    regime,
)

LINE_TYPES = ("order", "top_up", "cap", "adjustment")
REASON_CODES = {
    "LATE_ORDER": "An order of a closed period that arrived after the close.",
    "REFUND_AFTER_CLOSE": "A refund, after the close, of an order of a closed period.",
    "CHARGEBACK_AFTER_CLOSE": "A chargeback, after the close, of an order of a closed period.",
    "REATTRIBUTION": "An order of a closed period credited to another campaign after the close.",
    "CORRECTION": "A re-delivered order of a closed period with a higher net amount.",
    "FX_RATE_CHANGE": (
        "A re-delivered fx rate of a closed period's order date that moved an order's net."
    ),
    "RATE_RECALC": (
        "Change of a closed period's partner total no single order caused (a tier, guarantee "
        "or cap crossing, changed contract terms)."
    ),
}


@dataclass(frozen=True, slots=True)
class Line:
    period: str
    partner_id: str
    contract_id: str
    line_no: int
    line_type: str
    currency: str
    net_minor: int
    partner_minor: int
    reason_code: str | None = None
    adjusts_period: str | None = None
    source: str | None = None
    order_id: str | None = None
    campaign_id: str | None = None
    order_date: datetime.date | None = None
    order_status: str | None = None
    order_currency: str | None = None
    credit_minor: int | None = None  # the order's credit in the order currency
    fx_rate: Fraction | None = None  # contract-currency units per order-currency unit

    @property
    def platform_minor(self) -> int:
        return self.net_minor - self.partner_minor

    def with_(self, **changes) -> Line:
        """``dataclasses.replace`` without re-running the constructor (statements make a copy
        of every line several times)."""
        line = object.__new__(Line)
        for name in Line.__slots__:
            object.__setattr__(
                line, name, changes[name] if name in changes else getattr(self, name)
            )
        return line

    @property
    def key(self) -> tuple[str, str, str] | None:
        return None if self.order_id is None else (self.source, self.order_id, self.campaign_id)

    @property
    def accounting_period(self) -> str:
        return self.adjusts_period or self.period


@dataclass(frozen=True)
class Header:
    period: str
    partner_id: str
    contract_id: str
    status: str
    currency: str
    rate_model: str
    order_net_minor: int
    rate_share_minor: int
    top_up_minor: int
    cap_minor: int
    adjustment_net_minor: int
    adjustment_partner_minor: int
    net_minor: int
    partner_minor: int
    line_count: int
    closed_at: datetime.datetime | None = None

    @property
    def platform_minor(self) -> int:
        return self.net_minor - self.partner_minor


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(int(period[:4]), int(period[5:7]), 1)
    nxt = next_period(period)
    return first, datetime.date(int(nxt[:4]), int(nxt[5:7]), 1) - datetime.timedelta(days=1)


def next_open_period(period: str, closed: set[str]) -> str:
    p = next_period(period)
    while p in closed:
        p = next_period(p)
    return p


def _convert_once(
    net: int, currency: str, day: datetime.date, credits: list[tuple], fx: FxRates
) -> list[int | None]:
    """Nets in the contract currencies of one order's credits, given as (campaign_id, credit in
    the order currency, contract currency or None): the order's net is converted once per
    contract currency, rounded half-even once, and split over all its credits by largest
    remainder (in campaign order), so that its lines sum to its converted net."""
    order = sorted(range(len(credits)), key=lambda i: credits[i][0])
    weights = [credits[i][1] for i in order]
    out: list[int | None] = [None] * len(credits)
    for to in sorted({c[2] for c in credits if c[2] is not None}):
        parts = allocate(round_half_even(net * fx.rate(currency, to, day)), weights)
        for i, part in zip(order, parts, strict=True):
            if credits[i][2] == to:
                out[i] = part
    return out


def converted_credits(credits: list[Credit], fx: FxRates) -> list[int | None]:
    """Each credit's net in its contract's currency (None without a contract)."""
    by_order: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, c in enumerate(credits):
        by_order[c.order.key].append(i)
    out: list[int | None] = [None] * len(credits)
    for idxs in by_order.values():
        o = credits[idxs[0]].order
        mine = [credits[i] for i in idxs]
        nets = _convert_once(
            o.net_minor,
            o.currency,
            o.order_date,
            [(c.campaign_id, c.credit_minor, c.contract and c.contract.currency) for c in mine],
            fx,
        )
        for i, net in zip(idxs, nets, strict=True):
            out[i] = net
    return out


def order_lines(
    credits: list[Credit], fx: FxRates, converted: list[int | None] | None = None
) -> dict[tuple[str, str], list[Line]]:
    """(contract_id, period) -> unnumbered order lines with their net in the contract currency
    (``converted``: each credit's, when an engine computed them; else :func:`converted_credits`)."""
    out: dict[tuple[str, str], list[Line]] = defaultdict(list)
    nets = converted_credits(credits, fx) if converted is None else converted
    for c, net in zip(credits, nets, strict=True):
        if c.contract is None:
            continue
        o = c.order
        out[c.contract.contract_id, o.period].append(
            Line(
                period=o.period,
                partner_id=c.partner_id,
                contract_id=c.contract.contract_id,
                line_no=0,
                line_type="order",
                currency=c.contract.currency,
                net_minor=net,
                partner_minor=0,
                source=o.source,
                order_id=o.order_id,
                campaign_id=c.campaign_id,
                order_date=o.order_date,
                order_status=o.status,
                order_currency=o.currency,
                credit_minor=c.credit_minor,
                fx_rate=fx.rate(o.currency, c.contract.currency, o.order_date),
            )
        )
    for lines in out.values():
        lines.sort(key=lambda ln: (ln.order_date, ln.source, ln.order_id, ln.campaign_id))
    return out


def own_period_lines(
    contract: Contract, period: str, lines: list[Line], ended: bool = True
) -> list[Line]:
    """The order lines of one period with their partner share, plus top-up and cap lines (the
    minimum guarantee only once the period has ``ended``)."""
    net = sum(ln.net_minor for ln in lines)
    share = partner_share(contract, net, guarantee=ended)
    parts = allocate(share.rate_share, [ln.net_minor for ln in lines]) if lines else []
    out = [ln.with_(partner_minor=p) for ln, p in zip(lines, parts, strict=True)]
    base = dict(
        period=period,
        partner_id=contract.partner_id,
        contract_id=contract.contract_id,
        line_no=0,
        currency=contract.currency,
        net_minor=0,
    )
    if share.top_up:
        out.append(Line(line_type="top_up", partner_minor=share.top_up, **base))
    if share.cap_adjustment:
        out.append(Line(line_type="cap", partner_minor=share.cap_adjustment, **base))
    if not lines and share.rate_share:
        raise AssertionError("a rate share without order lines")
    return out


def _reason(delta: int, asif: Line | None, settled: _Settled | None, order_seen: set) -> str:
    if asif is None:
        return "REATTRIBUTION"
    if settled is None:
        return "REATTRIBUTION" if asif.key[:2] in order_seen else "LATE_ORDER"
    if (
        settled.credit == asif.credit_minor
        and settled.rate is not None
        and _six_places(settled.rate) != _six_places(asif.fx_rate)
    ):
        return "FX_RATE_CHANGE"
    if delta < 0:
        return (
            "CHARGEBACK_AFTER_CLOSE" if asif.order_status == "chargeback" else "REFUND_AFTER_CLOSE"
        )
    return "CORRECTION"


def _six_places(rate: Fraction) -> int:
    """An fx rate as the mart shows it (6 places, half-even): closed lines read back so."""
    return round(rate * 1_000_000)


@dataclass
class _Settled:
    """What was settled for one (order, campaign) of a closed period over its lines."""

    first: Line
    net: int = 0
    credit: int | None = 0  # in the order currency; None: a line without it (older lines)
    rate: Fraction | None = None  # of its latest line
    latest: tuple[str, int] = ("", 0)

    def add(self, ln: Line) -> None:
        self.net += ln.net_minor
        self.credit = (
            None
            if self.credit is None or ln.credit_minor is None
            else (self.credit + ln.credit_minor)
        )
        if ln.fx_rate is not None and (ln.period, ln.line_no) >= self.latest:
            self.rate, self.latest = ln.fx_rate, (ln.period, ln.line_no)


def settled_by_key(settled: list[Line]) -> dict[tuple[str, str, str], _Settled]:
    out: dict[tuple[str, str, str], _Settled] = {}
    for ln in settled:
        if ln.key is not None:
            out.setdefault(ln.key, _Settled(ln)).add(ln)
    return out


def _partner_changes(
    contract: Contract, asif: list[Line], settled: list[Line], deltas: list[int]
) -> tuple[list[int], int]:
    """The partner-share change each order's net change caused, and what no single order
    caused (the ``RATE_RECALC`` amount).

    An order's own change is its net change at the marginal rate of the period as settled
    (0 where the guarantee or the cap decided the total). When the recomputed period stays in
    the settled one's regime (tier, guarantee, cap) under the same terms, the orders' changes
    are all there is and they carry the whole change (rounded by largest remainder); otherwise
    they carry their own changes rounded, and the rest (a tier, guarantee or cap crossing, a
    contract's changed terms) goes on one RATE_RECALC line.
    """
    settled_net = sum(ln.net_minor for ln in settled)
    settled_partner = sum(ln.partner_minor for ln in settled)
    change = sum(ln.partner_minor for ln in asif) - settled_partner
    rate = marginal_rate(contract, settled_net)
    own = [d * rate for d in deltas]
    same = (
        bool(deltas)
        and regime(contract, settled_net) == regime(contract, sum(ln.net_minor for ln in asif))
        and partner_total(contract, settled_net) == settled_partner
    )
    if same:
        return round_parts(change, own), 0
    parts = round_parts(round_half_even(sum(own, Fraction(0))), own)
    return parts, change - sum(parts)


def adjustment_lines(
    contract: Contract, closed_period: str, target: str, asif: list[Line], settled: list[Line]
) -> list[Line]:
    """Lines that bring what was settled for ``closed_period`` to its as-if recomputation."""
    before = settled_by_key(settled)
    asif_by_key = {ln.key: ln for ln in asif if ln.key is not None}
    order_seen = {k[:2] for k in before}
    deltas = []
    for key in sorted(set(before) | set(asif_by_key)):
        was = before[key].net if key in before else 0
        d = (asif_by_key[key].net_minor if key in asif_by_key else 0) - was
        if d:
            deltas.append((key, d))
    parts, recalc = _partner_changes(contract, asif, settled, [d for _, d in deltas])
    out = []
    for (key, d), p in zip(deltas, parts, strict=True):
        now, was = asif_by_key.get(key), before.get(key)
        src = now or was.first
        credit = (
            (now.credit_minor if now else 0) - (was.credit if was else 0)
            if (was is None or was.credit is not None)
            else None
        )
        out.append(
            replace(
                src,
                period=target,
                line_no=0,
                line_type="adjustment",
                reason_code=_reason(d, now, was, order_seen),
                adjusts_period=closed_period,
                net_minor=d,
                partner_minor=p,
                credit_minor=credit,
            )
        )
    if recalc:
        out.append(
            Line(
                period=target,
                partner_id=contract.partner_id,
                contract_id=contract.contract_id,
                line_no=0,
                line_type="adjustment",
                currency=contract.currency,
                net_minor=0,
                partner_minor=recalc,
                reason_code="RATE_RECALC",
                adjusts_period=closed_period,
            )
        )
    return out


def repriced(
    closed_lines: list[Line], reread: set[tuple[str, str]], fx: FxRates
) -> dict[tuple[str, str, str], tuple[int, Fraction]]:
    """(order, campaign) -> (net, rate) of settled orders not re-read whose order date's fx rate
    differs from the one they were settled at (a rate re-delivered for a closed date): their
    settled credits converted once at the rate read, as a whole-history night would."""
    by_order: dict[tuple[str, str], dict] = defaultdict(dict)
    for key, was in settled_by_key(closed_lines).items():
        if key[:2] not in reread:
            by_order[key[:2]][key] = was
    out = {}
    for keys in by_order.values():
        items = sorted(keys.items())
        first = items[0][1].first
        if any(w.credit is None or w.rate is None for _, w in items):
            continue  # settled before adjustments carried their credit: left as settled
        try:
            rates = {
                w.first.currency: fx.rate(first.order_currency, w.first.currency, first.order_date)
                for _, w in items
            }
        except LookupError:  # no rate of that date read: none was re-delivered
            continue
        if all(_six_places(rates[w.first.currency]) == _six_places(w.rate) for _, w in items):
            continue
        nets = _convert_once(
            sum(w.credit for _, w in items),
            first.order_currency,
            first.order_date,
            [(k[2], w.credit, w.first.currency) for k, w in items],
            fx,
        )
        for (key, w), net in zip(items, nets, strict=True):
            out[key] = (net, rates[w.first.currency])
    return out


def as_settled(
    settled: list[Line], reread: set[tuple[str, str]], prices: dict | None = None
) -> list[Line]:
    """Order lines carrying what was settled for each order not in ``reread`` (at the rate of
    ``prices``, :func:`repriced`, where its order date's rate was re-delivered)."""
    out = []
    for key, was in settled_by_key(settled).items():
        if key[:2] in reread:
            continue
        net, rate = (prices or {}).get(key, (was.net, was.rate))
        if net:
            out.append(
                replace(
                    was.first,
                    period=was.first.accounting_period,
                    line_type="order",
                    reason_code=None,
                    adjusts_period=None,
                    net_minor=net,
                    partner_minor=0,
                    credit_minor=was.credit,
                    fx_rate=rate,
                )
            )
    return out


def header_for(contract: Contract, period: str, lines: list[Line], status: str = "open") -> Header:
    def total(kind, attr="partner_minor"):
        return sum(getattr(ln, attr) for ln in lines if ln.line_type == kind)

    return Header(
        period=period,
        partner_id=contract.partner_id,
        contract_id=contract.contract_id,
        status=status,
        currency=contract.currency,
        rate_model=contract.rate_model,
        order_net_minor=total("order", "net_minor"),
        rate_share_minor=total("order"),
        top_up_minor=total("top_up"),
        cap_minor=total("cap"),
        adjustment_net_minor=total("adjustment", "net_minor"),
        adjustment_partner_minor=total("adjustment"),
        net_minor=sum(ln.net_minor for ln in lines),
        partner_minor=sum(ln.partner_minor for ln in lines),
        line_count=len(lines),
    )


def _in_force_during(contract: Contract, period: str) -> bool:
    first, last = period_bounds(period)
    return contract.effective_from <= last and (
        contract.effective_to is None or contract.effective_to >= first
    )


def build_statements(
    credits: list[Credit],
    contracts: list[Contract],
    fx: FxRates,
    closed_periods: set[str],
    closed_lines: list[Line],
    current_period: str,
    periods: set[str] | None = None,
    reread: set[tuple[str, str]] | None = None,
    from_period: str | None = None,
    converted: list[int | None] | None = None,
) -> tuple[list[Header], list[Line]]:
    """Open statements of every non-closed period up to ``current_period`` (or of ``periods``)
    in which a contract is in force, from ``from_period`` on (the first open one) when given.
    A period that has not ended on the run date accrues no minimum guarantee yet.

    ``closed_lines`` are the lines of closed statements; they are read, never rebuilt. With
    ``reread`` (the (source, order_id) of every order read), ``credits`` hold a closed period's
    re-read orders only: its other orders count in its recomputation as they were settled.
    ``converted`` holds each credit's net in its contract currency when an engine computed them.
    """
    by_id = {c.contract_id: c for c in contracts}
    fresh = order_lines(credits, fx, converted)
    settled: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for ln in closed_lines:
        settled[ln.contract_id, ln.accounting_period].append(ln)

    bodies: dict[tuple[str, str], list[Line]] = defaultdict(list)
    in_force: set[tuple[str, str]] = set()
    wanted = periods if periods is not None else None
    for contract in contracts:
        p = max(from_period or "", period_of(contract.effective_from))
        while p <= current_period:
            if (
                p not in closed_periods
                and (wanted is None or p in wanted)
                and _in_force_during(contract, p)
            ):
                in_force.add((contract.contract_id, p))
                bodies[contract.contract_id, p] = own_period_lines(
                    contract,
                    p,
                    fresh.get((contract.contract_id, p), []),
                    ended=p < current_period,
                )
            p = next_period(p)
    prices = {} if reread is None else repriced(closed_lines, reread, fx)
    for cid, p in sorted(set(fresh) | set(settled)):
        if p not in closed_periods or cid not in by_id:
            continue
        target = next_open_period(p, closed_periods)
        if (wanted is None and target > current_period) or (
            wanted is not None and target not in wanted
        ):
            continue
        contract = by_id[cid]
        ordered = fresh.get((cid, p), [])
        if reread is not None:
            ordered = sorted(
                [*ordered, *as_settled(settled.get((cid, p), []), reread, prices)],
                key=lambda ln: (ln.order_date, ln.source, ln.order_id, ln.campaign_id),
            )
        asif = own_period_lines(contract, p, ordered)
        bodies[cid, target].extend(
            adjustment_lines(contract, p, target, asif, settled.get((cid, p), []))
        )

    headers, lines = [], []
    filled = {k: v for k, v in bodies.items() if v or k in in_force}
    for (cid, p), body in sorted(
        filled.items(), key=lambda kv: (by_id[kv[0][0]].partner_id, kv[0][0], kv[0][1])
    ):
        numbered = [ln.with_(line_no=i) for i, ln in enumerate(_ordered(body), start=1)]
        headers.append(header_for(by_id[cid], p, numbered))
        lines.extend(numbered)
    return headers, lines


def _ordered(body: list[Line]) -> list[Line]:
    rank = {t: i for i, t in enumerate(LINE_TYPES)}
    return sorted(
        body,
        key=lambda ln: (
            rank[ln.line_type],
            ln.adjusts_period or "",
            ln.order_date or datetime.date.min,
            ln.source or "",
            ln.order_id or "",
            ln.campaign_id or "",
            ln.reason_code or "",
        ),
    )
