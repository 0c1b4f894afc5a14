"""Property tests over random orders, touches and contracts (hypothesis).

Credits per order sum to its net; statement lines sum to headers; partner + platform = net;
closing a period and then adding late data never changes the closed statement, and the
adjustments bring what was settled for it to its recomputation exactly.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_pipeline.settlement import sql_engine
from alliance_pipeline.settlement.attribution import (
    CROSS_PARTNER_RULES,
    Attributor,
    Campaign,
    Content,
    Touch,
    touch_weights,
)
from alliance_pipeline.settlement.frames import header_rows, line_rows
from alliance_pipeline.settlement.money import allocate, round_half_even, round_parts
from alliance_pipeline.settlement.net import FxRates, OrderNet, business_date
from alliance_pipeline.settlement.rates import Contract, Tier
from alliance_pipeline.settlement.statements import build_statements, own_period_lines

pytestmark = pytest.mark.unit

UTC = datetime.UTC
START = datetime.datetime(2026, 1, 31, 16, 0, tzinfo=UTC)  # 2026-02-01 00:00 Asia/Shanghai
MODELS = ("last_touch", "first_touch", "linear", "position_based", "time_decay")
CAMPAIGNS = [
    Campaign(f"{p}-{i}", p, f"{p.upper()}{i}" if i == 0 else None)
    for p in ("moonbay", "tidewave")
    for i in range(3)
]
FX_ROWS = [
    {
        "date": (START + datetime.timedelta(days=d)).date() + datetime.timedelta(days=1),
        "currency": "USD",
        "cny_per_unit": Decimal("7.1") + Decimal(d) / 1000,
        "dt": None,
    }
    for d in range(-1, 70)
]
FX = FxRates(pd.DataFrame(FX_ROWS))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

amounts = st.integers(min_value=0, max_value=5_000_000)


@FAST
@given(st.integers(-(10**9), 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_allocation_sums_and_stays_within_one_unit(total, weights):
    if sum(weights) == 0:
        weights[0] = 1
    parts = allocate(total, weights)
    assert sum(parts) == total
    wsum = sum(weights)
    for p, w in zip(parts, weights, strict=True):
        assert abs(Fraction(p) - Fraction(total * w, wsum)) < 1


@FAST
@given(
    st.lists(st.fractions(min_value=-(10**6), max_value=10**6), min_size=1, max_size=20),
    st.integers(-3, 3),
)
def test_signed_parts_round_to_their_total_within_a_unit(parts, off):
    total = round_half_even(sum(parts, Fraction(0))) + off
    rounded = round_parts(total, parts)
    assert sum(rounded) == total
    if off == 0:
        assert all(abs(r - p) < 1 for r, p in zip(rounded, parts, strict=True))


@st.composite
def contracts(draw, partner):
    model = draw(st.sampled_from(("flat", "graduated", "volume")))
    n = 1 if model == "flat" else draw(st.integers(1, 4))
    bounds = sorted(draw(st.sets(st.integers(1, 10_000_000), min_size=n - 1, max_size=n - 1)))
    tiers = tuple(Tier(b, Decimal(draw(st.integers(0, 500))) / 1000) for b in [0, *bounds])
    mg = draw(st.none() | st.integers(0, 2_000_000))
    cap = draw(st.none() | st.integers(0, 5_000_000))
    return Contract(
        f"k-{partner}",
        partner,
        "all_attributed",
        model,
        tiers,
        mg,
        cap,
        "CNY",
        draw(st.sampled_from(MODELS)),
        draw(st.integers(1, 30)),
        draw(st.booleans()),
        datetime.date(2026, 1, 1),
        None,
    )


@st.composite
def worlds(draw):
    n_persons = draw(st.integers(1, 8))
    orders = []
    for i in range(draw(st.integers(1, 40))):
        at = START + datetime.timedelta(minutes=draw(st.integers(0, 59 * 24 * 60)))
        amount = draw(amounts)
        refund = draw(st.sampled_from([0, 0, 0, amount, amount // 3]))
        status = (
            "paid"
            if refund == 0
            else draw(st.sampled_from(["refunded", "partially_refunded", "chargeback"]))
        )
        orders.append(
            OrderNet(
                "platform",
                f"o{i}",
                f"p{draw(st.integers(0, n_persons - 1))}",
                "c-1",
                draw(st.sampled_from(["CNY", "CNY", "USD"])),
                at,
                business_date(at),
                status,
                amount,
                refund,
                amount - refund,
                draw(st.none() | st.sampled_from(["MOONBAY0", "TIDEWAVE0", "NOPE"])),
                "app",
            )
        )
    touches = {}
    for p in range(n_persons):
        touches[f"p{p}"] = [
            Touch(
                draw(st.sampled_from(CAMPAIGNS)).campaign_id,
                START + datetime.timedelta(minutes=draw(st.integers(-7 * 1440, 59 * 24 * 60))),
                draw(st.sampled_from(["click", "view"])),
            )
            for _ in range(draw(st.integers(0, 12)))
        ]
    ks = [draw(contracts("moonbay")), draw(contracts("tidewave"))]
    return orders, touches, ks


def attribute(orders, touches, ks, rule="latest_partner", engine="python"):
    """Credits by the Python engine (the oracle) or by the SQL engine (settlement.engine)."""
    catalog = {"c-1": Content("platform", frozenset())}
    if engine == "duckdb":
        return sql_engine.SqlAttributor(
            CAMPAIGNS, ks, catalog, sql_engine.touch_table(touches), cross_partner=rule, con=SQL
        ).attribute_all(orders)
    return Attributor(CAMPAIGNS, ks, catalog, touches, cross_partner=rule).attribute_all(orders)


SQL = sql_engine.connect()  # one DuckDB connection for every example
# a query of the SQL engine costs milliseconds even on a handful of rows: fewer examples
ENGINES = settings(FAST, max_examples=40)


@pytest.mark.timeout(300)  # a loaded 2-core machine: DuckDB queries slow down most
@ENGINES
@given(worlds(), st.sampled_from(sorted(CROSS_PARTNER_RULES)), st.data())
def test_both_engines_give_identical_credits_and_statements(world, rule, data):
    """The SQL engine against the exact Python one: the same credits in the same order, so the
    same open statements, and the same adjustments of a closed period after late data."""
    orders, touches, ks = world
    credits = {e: attribute(orders, touches, ks, rule, e) for e in ("python", "duckdb")}
    assert credits["duckdb"] == credits["python"]
    statements = {e: build_statements(c, ks, FX, set(), [], "2026-03") for e, c in credits.items()}
    assert_same_statements(statements["duckdb"], statements["python"])
    early = [o for o in orders if o.period == "2026-02" and data.draw(st.booleans())]
    closed = {
        e: build_statements(
            attribute(early, touches, ks, rule, e), ks, FX, set(), [], "2026-03", {"2026-02"}
        )[1]
        for e in credits
    }
    assert_same_statements(([], closed["duckdb"]), ([], closed["python"]))
    after = {
        e: build_statements(c, ks, FX, {"2026-02"}, closed[e], "2026-03")
        for e, c in credits.items()
    }
    assert_same_statements(after["duckdb"], after["python"])


def assert_same_statements(a, b):
    """Headers and lines equal value for value, whatever their order."""
    for mine, theirs in zip(a, b, strict=True):
        assert sorted(map(repr, mine)) == sorted(map(repr, theirs))


@FAST
@given(worlds())
def test_credits_of_each_order_sum_to_its_net(world):
    orders, touches, ks = world
    credits = attribute(orders, touches, ks)
    by_order = {}
    for c in credits:
        by_order.setdefault(c.order.key, []).append(c)
    for key, cs in by_order.items():
        assert sum(c.credit_minor for c in cs) == cs[0].order.net_minor, key
        assert sum(c.weight for c in cs) == 1
        assert len({c.partner_id for c in cs}) == 1


@FAST
@given(worlds(), st.sampled_from(["by_touches", "equal"]))
def test_every_cross_partner_rule_credits_each_order_its_net(world, rule):
    orders, touches, ks = world
    by_order = {}
    for c in attribute(orders, touches, ks, rule):
        by_order.setdefault(c.order.key, []).append(c)
    latest = {c.order.key: c.partner_id for c in attribute(orders, touches, ks)}
    for key, cs in by_order.items():
        assert sum(c.credit_minor for c in cs) == cs[0].order.net_minor, key
        assert sum(c.weight for c in cs) == 1
        assert cs[0].partner_id == latest[key]  # the latest-touching partner first
    headers, lines = build_statements(
        attribute(orders, touches, ks, rule), ks, FX, set(), [], "2026-03"
    )
    check_statements(headers, lines)


@FAST
@given(st.sampled_from(MODELS), st.lists(st.integers(1, 10**6), min_size=1, max_size=12))
def test_model_weights_sum_to_one(model, gaps):
    order_at = START + datetime.timedelta(days=40)
    touches = sorted(
        (
            Touch(f"c{i}", order_at - datetime.timedelta(seconds=g), "click")
            for i, g in enumerate(gaps)
        ),
        key=lambda t: t.at,
    )
    assert sum(touch_weights(model, touches, order_at)) == 1


def check_statements(headers, lines):
    for h in headers:
        mine = [ln for ln in lines if (ln.contract_id, ln.period) == (h.contract_id, h.period)]
        assert sum(ln.net_minor for ln in mine) == h.net_minor
        assert sum(ln.partner_minor for ln in mine) == h.partner_minor
        assert h.partner_minor + h.platform_minor == h.net_minor
    published = header_rows(headers, "open")
    assert (
        published["partner_share"] + published["platform_share"] == published["net_amount"]
    ).all()
    frame = line_rows(lines, "open")
    for col in ("net_amount", "partner_share", "platform_share"):
        assert all(isinstance(v, Decimal) for v in frame[col])


@FAST
@given(worlds())
def test_lines_sum_to_headers_and_shares_sum_to_net(world):
    orders, touches, ks = world
    headers, lines = build_statements(attribute(orders, touches, ks), ks, FX, set(), [], "2026-03")
    check_statements(headers, lines)
    for k in ks:
        for h in (h for h in headers if h.contract_id == k.contract_id):
            if k.cap_minor is not None and h.order_net_minor:
                assert h.partner_minor <= max(k.cap_minor, 0)


@FAST
@given(worlds(), st.data())
def test_closing_then_late_data_never_changes_a_closed_statement(world, data):
    orders, touches, ks = world
    feb = [o for o in orders if o.period == "2026-02"]
    early = [o for o in feb if data.draw(st.booleans())]
    credits = attribute(early, touches, ks)
    _, closed = build_statements(credits, ks, FX, set(), [], "2026-03", periods={"2026-02"})
    frozen = line_rows(closed, "closed")
    # later: the rest of February arrives late, and some February orders get refunded
    later = []
    for o in orders:
        if o in early and data.draw(st.booleans()):
            later.append(
                dataclasses.replace(
                    o,
                    status="partially_refunded",
                    refund_minor=o.amount_minor // 2,
                    net_minor=o.amount_minor - o.amount_minor // 2,
                )
            )
        else:
            later.append(o)
    credits2 = attribute(later, touches, ks)
    headers, lines = build_statements(credits2, ks, FX, {"2026-02"}, closed, "2026-03")
    assert not [ln for ln in lines if ln.period == "2026-02"]
    assert line_rows(closed, "closed").equals(frozen)
    check_statements(headers, lines)
    for k in ks:
        asif = own_period_lines(
            k, "2026-02", [ln for ln in _fresh(credits2, k) if ln.period == "2026-02"]
        )
        settled = [
            ln
            for ln in [*closed, *lines]
            if ln.contract_id == k.contract_id and ln.accounting_period == "2026-02"
        ]
        assert sum(ln.net_minor for ln in settled) == sum(ln.net_minor for ln in asif)
        assert sum(ln.partner_minor for ln in settled) == sum(ln.partner_minor for ln in asif)


def _fresh(credits, contract):
    from alliance_pipeline.settlement.statements import order_lines

    return order_lines(credits, FX).get((contract.contract_id, "2026-02"), [])


@FAST
@given(worlds(), st.data())
def test_reading_only_the_open_period_and_the_re_read_orders_gives_the_same_statements(world, data):
    """What a night reads from the first open day on (settlement.window) settles exactly as the
    whole history: a closed period's orders that were not re-read count as they were settled,
    re-priced where their date's fx rate was re-delivered."""
    orders, touches, ks = world
    feb = [o for o in orders if o.period == "2026-02"]
    early = [o for o in feb if data.draw(st.booleans())]
    _, closed = build_statements(
        attribute(early, touches, ks), ks, FX, set(), [], "2026-03", periods={"2026-02"}
    )
    changed = {o.key for o in early if data.draw(st.booleans())}
    later = [
        dataclasses.replace(o, status="chargeback", refund_minor=o.amount_minor, net_minor=0)
        if o.key in changed
        else o
        for o in orders
    ]
    # and maybe some of February's fx rates re-delivered since the close
    moved = data.draw(st.sets(st.integers(0, 27), max_size=5))
    fx = FxRates(
        pd.DataFrame(
            [
                {
                    "date": datetime.date(2026, 2, 1) + datetime.timedelta(days=d),
                    "currency": "USD",
                    "cny_per_unit": Decimal("6.9") + Decimal(d) / 997,
                    "dt": "z",  # delivered after the others
                }
                for d in moved
            ]
            + [{**r, "dt": "a"} for r in FX_ROWS]
        )
    )
    whole = build_statements(attribute(later, touches, ks), ks, fx, {"2026-02"}, closed, "2026-03")
    # re-read: March, February's late and changed orders, and any others (deliveries of the
    # slack days before the open period)
    read = [
        o
        for o in later
        if o.period != "2026-02" or o not in early or o.key in changed or data.draw(st.booleans())
    ]
    bounded = build_statements(
        attribute(read, touches, ks),
        ks,
        fx,
        {"2026-02"},
        closed,
        "2026-03",
        reread={o.key for o in read},
    )
    assert bounded == whole


@FAST
@given(worlds())
def test_the_lines_of_an_order_sum_to_its_net_converted_once(world):
    orders, touches, ks = world
    _, lines = build_statements(attribute(orders, touches, ks), ks, FX, set(), [], "2026-03")
    by_order: dict = {}
    for ln in lines:
        if ln.line_type == "order":
            by_order.setdefault((ln.source, ln.order_id), []).append(ln.net_minor)
    for o in orders:
        if (o.source, o.order_id) in by_order:
            converted = round_half_even(o.net_minor * FX.rate(o.currency, "CNY", o.order_date))
            assert sum(by_order[o.source, o.order_id]) == converted, o.order_id
