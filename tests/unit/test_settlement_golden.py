"""Golden settlement scenarios written by hand, each with its expected statement to the fen.

Each scenario writes clean-zone Parquet (the layout de-identification produces), runs the
settlement computation and compares the statement with figures worked out by hand here.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from alliance_pipeline.settlement.inputs import load_inputs
from alliance_pipeline.settlement.money import from_minor
from tests.unit._settlement_frames import (
    campaign,
    contract,
    fx,
    generate_lake,
    order,
    reference_data,
    settle_both,
    touch,
    write_clean,
)

pytestmark = pytest.mark.unit

D = Decimal


def statement(settlement, contract_id, period):
    """(header figures, [(line_type, reason, order_id, campaign, net, partner, platform)]) in yuan."""
    [h] = [h for h in settlement.headers if h.contract_id == contract_id and h.period == period]
    lines = [ln for ln in settlement.lines if ln.contract_id == contract_id and ln.period == period]
    y = from_minor
    head = dict(
        net=y(h.net_minor),
        partner=y(h.partner_minor),
        platform=y(h.platform_minor),
        status=h.status,
    )
    body = [
        (
            ln.line_type,
            ln.reason_code,
            ln.order_id,
            ln.campaign_id,
            y(ln.net_minor),
            y(ln.partner_minor),
            y(ln.platform_minor),
        )
        for ln in lines
    ]
    assert sum(ln.net_minor for ln in lines) == h.net_minor
    assert sum(ln.partner_minor for ln in lines) == h.partner_minor
    return head, body


def run(lake, dt, closed_periods=frozenset(), closed_lines=(), periods=None):
    """The settlement of both engines (settlement.engine), which must be identical."""
    return settle_both(load_inputs(lake, dt), dt, set(closed_periods), list(closed_lines), periods)


def one_partner(lake, k, *, orders, day="2026-03-31", extra_campaigns=(), fx_rows=()):
    """A partner 'moonbay' with contract ``k``, campaign m-1 (referral code MOON) and ``orders``."""
    reference_data(lake, day, [k], [campaign("m-1", "moonbay", "MOON"), *extra_campaigns])
    write_clean(lake, "orders", day, "platform", orders)
    write_clean(lake, "fx_rates", day, "platform", list(fx_rows) or [fx(day, "USD", "7.000000")])


def test_graduated_contract_crossing_two_tiers(lake):
    k = contract(
        "k-grad",
        "moonbay",
        [("0.00", "0.10"), ("1000.00", "0.20"), ("3000.00", "0.30")],
        model="graduated",
    )
    one_partner(
        lake,
        k,
        orders=[
            order("o1", "p1", "1500.00", "2026-03-02 10:00", code="MOON"),
            order("o2", "p2", "1200.00", "2026-03-03 10:00", code="MOON"),
            order("o3", "p3", "800.00", "2026-03-04 10:00", code="MOON"),
        ],
    )
    head, body = statement(run(lake, "2026-03-31"), "k-grad", "2026-03")
    # 1000 * 10% + 2000 * 20% + 500 * 30% = 650.00, spread 1500:1200:800 by largest remainder
    assert head == dict(net=D("3500.00"), partner=D("650.00"), platform=D("2850.00"), status="open")
    assert body == [
        ("order", None, "o1", "m-1", D("1500.00"), D("278.57"), D("1221.43")),
        ("order", None, "o2", "m-1", D("1200.00"), D("222.86"), D("977.14")),
        ("order", None, "o3", "m-1", D("800.00"), D("148.57"), D("651.43")),
    ]


def test_volume_contract_applies_reached_rate_to_everything(lake):
    k = contract("k-vol", "moonbay", [("0.00", "0.10"), ("2000.00", "0.15")], model="volume")
    one_partner(
        lake,
        k,
        orders=[
            order("o1", "p1", "1000.00", "2026-03-02 10:00", code="MOON"),
            order("o2", "p2", "1500.00", "2026-03-03 10:00", code="MOON"),
        ],
    )
    head, body = statement(run(lake, "2026-03-31"), "k-vol", "2026-03")
    assert head["partner"] == D("375.00")  # 2500 * 15%
    assert [b[5] for b in body] == [D("150.00"), D("225.00")]


def test_minimum_guarantee_tops_up(lake):
    k = contract("k-mg", "moonbay", [("0.00", "0.10")], mg="500.00")
    one_partner(lake, k, orders=[order("o1", "p1", "1000.00", "2026-03-02 10:00", code="MOON")])
    # the guarantee accrues once the month has ended (issue 15): settled on 1 April
    head, body = statement(run(lake, "2026-04-01"), "k-mg", "2026-03")
    assert head == dict(net=D("1000.00"), partner=D("500.00"), platform=D("500.00"), status="open")
    assert body == [
        ("order", None, "o1", "m-1", D("1000.00"), D("100.00"), D("900.00")),
        ("top_up", None, None, None, D("0.00"), D("400.00"), D("-400.00")),
    ]


def test_cap_limits_partner_share(lake):
    k = contract("k-cap", "moonbay", [("0.00", "0.30")], cap="200.00")
    one_partner(lake, k, orders=[order("o1", "p1", "1000.00", "2026-03-02 10:00", code="MOON")])
    head, body = statement(run(lake, "2026-03-31"), "k-cap", "2026-03")
    assert head == dict(net=D("1000.00"), partner=D("200.00"), platform=D("800.00"), status="open")
    assert body[1] == ("cap", None, None, None, D("0.00"), D("-100.00"), D("100.00"))


def test_usd_order_converts_at_order_date_rate_half_even(lake):
    k = contract("k-usd", "moonbay", [("0.00", "0.10")])
    one_partner(
        lake,
        k,
        orders=[order("o1", "p1", "100.00", "2026-03-02 10:00", currency="USD", code="MOON")],
        fx_rows=[fx("2026-03-02", "USD", "7.124650"), fx("2026-03-03", "USD", "7.500000")],
    )
    _head, body = statement(run(lake, "2026-03-31"), "k-usd", "2026-03")
    # 100.00 USD * 7.124650 = 712.465 CNY -> 712.46 (half-even); 10% = 71.246 -> 71.25
    assert body == [("order", None, "o1", "m-1", D("712.46"), D("71.25"), D("641.21"))]


def test_partial_refund_in_the_same_month_uses_latest_version(lake):
    k = contract("k-flat", "moonbay", [("0.00", "0.10")])
    one_partner(
        lake,
        k,
        orders=[order("o1", "p1", "300.00", "2026-03-02 10:00", code="MOON")],
        day="2026-03-02",
    )
    write_clean(
        lake,
        "orders",
        "2026-03-09",
        "platform",
        [
            order(
                "o1",
                "p1",
                "300.00",
                "2026-03-02 10:00",
                code="MOON",
                status="partially_refunded",
                refund="100.00",
                updated="2026-03-09 12:00",
            )
        ],
    )
    _head, body = statement(run(lake, "2026-03-31"), "k-flat", "2026-03")
    assert body == [("order", None, "o1", "m-1", D("200.00"), D("20.00"), D("180.00"))]


def _close(settlement, period):
    return [ln for ln in settlement.lines if ln.period == period]


@pytest.mark.parametrize(
    ("status", "refund", "reason", "net", "partner"),
    [
        ("partially_refunded", "200.00", "REFUND_AFTER_CLOSE", D("-200.00"), D("-20.00")),
        ("chargeback", None, "CHARGEBACK_AFTER_CLOSE", D("-500.00"), D("-50.00")),
    ],
)
def test_refund_or_chargeback_after_close_is_an_adjustment_next_period(
    lake, status, refund, reason, net, partner
):
    k = contract("k-flat", "moonbay", [("0.00", "0.10")])
    one_partner(
        lake,
        k,
        orders=[order("o1", "p1", "500.00", "2026-02-10 10:00", code="MOON")],
        day="2026-02-10",
    )
    feb = run(lake, "2026-03-02", periods={"2026-02"})
    closed = _close(feb, "2026-02")
    assert statement(feb, "k-flat", "2026-02")[0]["partner"] == D("50.00")
    write_clean(
        lake,
        "orders",
        "2026-03-05",
        "platform",
        [
            order(
                "o1",
                "p1",
                "500.00",
                "2026-02-10 10:00",
                code="MOON",
                status=status,
                refund=refund,
                updated="2026-03-05 09:00",
            )
        ],
    )
    march = run(lake, "2026-03-31", {"2026-02"}, closed)
    assert not [h for h in march.headers if h.period == "2026-02"]  # the closed one is not rebuilt
    _head, body = statement(march, "k-flat", "2026-03")
    assert body == [("adjustment", reason, "o1", "m-1", net, partner, net - partner)]
    assert [ln.adjusts_period for ln in march.lines] == ["2026-02"]


def test_late_order_for_closed_period_is_adjustment(lake):
    k = contract("k-flat", "moonbay", [("0.00", "0.10")])
    one_partner(
        lake,
        k,
        orders=[order("o1", "p1", "500.00", "2026-02-10 10:00", code="MOON")],
        day="2026-02-10",
    )
    closed = _close(run(lake, "2026-03-02", periods={"2026-02"}), "2026-02")
    write_clean(
        lake,
        "orders",
        "2026-03-04",
        "platform",
        [order("o2", "p2", "80.00", "2026-02-27 10:00", code="MOON", updated="2026-03-04 09:00")],
    )
    _head, body = statement(run(lake, "2026-03-31", {"2026-02"}, closed), "k-flat", "2026-03")
    assert body == [("adjustment", "LATE_ORDER", "o2", "m-1", D("80.00"), D("8.00"), D("72.00"))]


def test_referral_code_wins_over_competing_clicks(lake):
    k1 = contract("k-moon", "moonbay", [("0.00", "0.10")])
    k2 = contract("k-tide", "tidewave", [("0.00", "0.20")])
    reference_data(
        lake,
        "2026-03-31",
        [k1, k2],
        [campaign("m-1", "moonbay", "MOON"), campaign("t-1", "tidewave")],
    )
    write_clean(lake, "fx_rates", "2026-03-31", "platform", [])
    write_clean(
        lake,
        "events",
        "2026-03-05",
        "tidewave",
        [
            touch("e1", "p1", "t-1", "2026-03-04 10:00"),
            touch("e2", "p1", "t-1", "2026-03-05 09:00"),
        ],
    )
    write_clean(
        lake,
        "orders",
        "2026-03-05",
        "platform",
        [order("o1", "p1", "100.00", "2026-03-05 10:00", code="MOON")],
    )
    s = run(lake, "2026-03-31")
    assert [(c.campaign_id, c.method, c.credit_minor) for c in s.credits] == [
        ("m-1", "referral_code", 10000)
    ]
    assert [h.contract_id for h in s.headers if h.net_minor] == ["k-moon"]
    # tidewave's contract is in force too: its months have statements, with nothing in them
    assert all(h.partner_minor == h.line_count == 0 for h in s.headers if h.contract_id == "k-tide")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("last_touch", {"m-3": "100.00"}),
        ("first_touch", {"m-1": "100.00"}),
        ("linear", {"m-1": "33.34", "m-2": "33.33", "m-3": "33.33"}),
        ("position_based", {"m-1": "40.00", "m-2": "20.00", "m-3": "40.00"}),
        # 2^(-10/7) : 2^(-5/7) : 2^(-1/7) of 10000 fen = 1969.009 : 3230.495 : 4800.497
        ("time_decay", {"m-1": "19.69", "m-2": "32.30", "m-3": "48.01"}),
    ],
)
def test_attribution_models_on_a_three_touch_path(lake, model, expected):
    k = contract("k-moon", "moonbay", [("0.00", "0.10")], attribution=model, window=14)
    reference_data(lake, "2026-03-31", [k], [campaign(f"m-{i}", "moonbay") for i in (1, 2, 3)])
    write_clean(lake, "fx_rates", "2026-03-31", "platform", [])
    write_clean(
        lake,
        "events",
        "2026-03-20",
        "moonbay",
        [
            touch("e0", "p1", "m-1", "2026-03-01 10:00"),  # 19 days before: outside the window
            touch("e1", "p1", "m-1", "2026-03-10 10:00"),
            touch("e2", "p1", "m-2", "2026-03-15 10:00"),
            touch("e3", "p1", "m-3", "2026-03-19 10:00"),
            touch("e4", "p1", "m-2", "2026-03-19 11:00", kind="view"),  # views do not count here
        ],
    )
    write_clean(
        lake, "orders", "2026-03-20", "platform", [order("o1", "p1", "100.00", "2026-03-20 10:00")]
    )
    s = run(lake, "2026-03-31")
    assert {c.campaign_id: from_minor(c.credit_minor) for c in s.credits if c.credit_minor} == {
        c: D(v) for c, v in expected.items()
    }
    head, _ = statement(s, "k-moon", "2026-03")
    assert head == dict(net=D("100.00"), partner=D("10.00"), platform=D("90.00"), status="open")


def test_views_count_when_the_contract_says_so(lake):
    k = contract("k-moon", "moonbay", [("0.00", "0.10")], views=True)
    reference_data(
        lake, "2026-03-31", [k], [campaign("m-1", "moonbay"), campaign("m-2", "moonbay")]
    )
    write_clean(lake, "fx_rates", "2026-03-31", "platform", [])
    write_clean(
        lake,
        "events",
        "2026-03-20",
        "moonbay",
        [
            touch("e1", "p1", "m-1", "2026-03-19 10:00"),
            touch("e2", "p1", "m-2", "2026-03-19 11:00", kind="view"),
        ],
    )
    write_clean(
        lake, "orders", "2026-03-20", "platform", [order("o1", "p1", "100.00", "2026-03-20 10:00")]
    )
    assert [c.campaign_id for c in run(lake, "2026-03-31").credits] == ["m-2"]


def test_campaign_daily_ratios_from_summed_parts_and_min_cell(lake):
    import datetime

    from alliance_pipeline.settlement.metrics import campaign_daily, suppress_small
    from tests.unit._settlement_frames import delivery

    k = contract("k-moon", "moonbay", [("0.00", "0.10")])
    one_partner(
        lake,
        k,
        orders=[
            *[
                order(f"a{i}", f"pa{i}", "100.00", "2026-03-02 10:00", code="MOON")
                for i in range(6)
            ],
            *[order(f"b{i}", f"pb{i}", "10.00", "2026-03-03 10:00", code="MOON") for i in range(5)],
        ],
    )
    write_clean(
        lake,
        "campaign_delivery",
        "2026-03-31",
        "moonbay",
        [
            delivery("m-1", "2026-03-02", "wechat", 1000, 30, "200.00"),
            delivery("m-1", "2026-03-02", "douyin", 3000, 10, "100.00"),
            delivery("m-1", "2026-03-03", "wechat", 0, 0, "0.00"),
        ],
    )
    s = run(lake, "2026-03-31")
    inputs = load_inputs(lake, "2026-03-31")
    daily, summary, new = campaign_daily(
        s, inputs.campaign_delivery, s.lines, {"m-1": "moonbay"}, 5
    )
    total = daily[(daily["channel"] == "all") & (daily["date"] == datetime.date(2026, 3, 2))].iloc[
        0
    ]
    # summed parts: 40 clicks / 4000 impressions, never the mean of 3% and 0.33%
    assert total["ctr"] == D("0.010000")
    assert total["cvr"] == D("0.150000")  # 6 orders / 40 clicks
    assert (total["revenue_u_cny"], total["revenue_p_cny"]) == (D("600.00"), D("60.00"))
    assert total["roas_u"] == D("2.000000") and total["roi_u"] == D("1.000000")
    assert total["new_persons"] == 6 and total["cac_cny"] == D("50.000000")
    day3 = daily[(daily["channel"] == "all") & (daily["date"] == datetime.date(2026, 3, 3))].iloc[0]
    assert day3["ctr"] is None and day3["roas_u"] is None  # zero denominators give NULL
    assert day3["new_persons"] == 5 and day3["cac_cny"] == D("0.000000")
    assert summary["m-1"] == (0, 11)
    assert new == {"m-1": {datetime.date(2026, 3, 2): 6, datetime.date(2026, 3, 3): 5}}
    # a cell below k is withheld; while the withheld remainder is itself below k, the smallest
    # published cell is withheld too, so the remainder never reveals fewer than k persons
    assert suppress_small({1: 6, 2: 1}, 5) == ({1: None, 2: None}, 7, 7)
    assert suppress_small({1: 2}, 5) == ({1: None}, 0, None)
    assert suppress_small({1: 6, 2: 0, 3: 9}, 5) == ({1: 6, 2: 0, 3: 9}, 0, 15)


def test_logistic_growth_recovers_a_known_curve():
    import datetime
    import math

    from alliance_pipeline.settlement.growth import campaign_growth

    k_true, r_true, mid = 500.0, 0.4, 15
    cum = [round(k_true / (1 + math.exp(-r_true * (t - mid)))) for t in range(40)]
    daily = {
        datetime.date(2026, 3, 1) + datetime.timedelta(days=t): cum[t] - (cum[t - 1] if t else 0)
        for t in range(40)
    }
    [row] = campaign_growth({"m-1": daily}, {"m-1": (0, cum[-1])}, 5)
    assert row["fit_status"] == "ok"
    assert abs(row["saturation_k"] - k_true) < 5 and abs(row["growth_rate_r"] - r_true) < 0.02
    assert row["midpoint_date"] == datetime.date(2026, 3, 16)
    assert row["r_squared"] > 0.999


def test_foreign_order_split_over_campaigns_is_converted_once(lake):
    """1.00 USD at 7.25 is 7.25 CNY: credited linearly 0.34/0.33/0.33 USD, each credit converted
    and rounded on its own gave 2.46 + 2.39 + 2.39 = 7.24; converted once and split by largest
    remainder the lines sum to the order's converted net, as mart.fct_order has it."""
    from alliance_pipeline.settlement.frames import order_rows

    k = contract("k-moon", "moonbay", [("0.00", "0.10")], attribution="linear")
    reference_data(lake, "2026-03-31", [k], [campaign(f"m-{i}", "moonbay") for i in (1, 2, 3)])
    write_clean(lake, "fx_rates", "2026-03-31", "platform", [fx("2026-03-20", "USD", "7.250000")])
    write_clean(
        lake,
        "events",
        "2026-03-20",
        "moonbay",
        [touch(f"e{i}", "p1", f"m-{i}", f"2026-03-1{i} 10:00") for i in (1, 2, 3)],
    )
    write_clean(
        lake,
        "orders",
        "2026-03-20",
        "platform",
        [order("o1", "p1", "1.00", "2026-03-20 10:00", currency="USD")],
    )
    s = run(lake, "2026-03-31")
    head, body = statement(s, "k-moon", "2026-03")
    assert [(b[3], b[4]) for b in body] == [
        ("m-1", D("2.47")),
        ("m-2", D("2.39")),
        ("m-3", D("2.39")),
    ]
    orders, _ = order_rows(s)
    assert head["net"] == orders.loc[0, "net_amount_cny"] == D("7.25")


def _february_closed_then(lake, k, feb_amount, after):
    """Contract ``k``: February holds o1 (``feb_amount``, code MOON) and is closed on 2 March;
    ``after`` (order rows) arrive on 5 March. Returns March's adjustment lines."""
    one_partner(
        lake,
        k,
        orders=[order("o1", "p1", feb_amount, "2026-02-10 10:00", code="MOON")],
        day="2026-02-10",
    )
    closed = _close(run(lake, "2026-03-02", periods={"2026-02"}), "2026-02")
    write_clean(lake, "orders", "2026-03-05", "platform", after)
    march = run(lake, "2026-03-31", {"2026-02"}, closed)
    return [b for b in statement(march, k["contract_id"], "2026-03")[1] if b[0] == "adjustment"]


def _chargeback(order_id, amount, when):
    return order(
        order_id, "p1", amount, when, code="MOON", status="chargeback", updated="2026-03-05 09:00"
    )


def _late(order_id, amount, when):
    return order(order_id, "p2", amount, when, code="MOON", updated="2026-03-05 09:00")


@pytest.mark.parametrize(
    ("k", "feb_amount", "expected"),
    [
        # flat 10%: each line carries its own order's share; nothing else changed
        (
            contract("k-flat", "moonbay", [("0.00", "0.10")]),
            "500.00",
            [
                ("CHARGEBACK_AFTER_CLOSE", "o1", D("-500.00"), D("-50.00")),
                ("LATE_ORDER", "o2", D("80.00"), D("8.00")),
            ],
        ),
        # the guarantee (100) decides February before and after: no order changes the total
        (
            contract("k-mg", "moonbay", [("0.00", "0.10")], mg="100.00"),
            "500.00",
            [
                ("CHARGEBACK_AFTER_CLOSE", "o1", D("-500.00"), D("0.00")),
                ("LATE_ORDER", "o2", D("80.00"), D("0.00")),
            ],
        ),
        # 2000 at 10% = 200 was above the guarantee; 80 gives 8, topped up by 92: the orders
        # carry their 10%, the guarantee crossing goes on RATE_RECALC
        (
            contract("k-mg", "moonbay", [("0.00", "0.10")], mg="100.00"),
            "2000.00",
            [
                ("RATE_RECALC", None, D("0.00"), D("92.00")),
                ("CHARGEBACK_AFTER_CLOSE", "o1", D("-2000.00"), D("-200.00")),
                ("LATE_ORDER", "o2", D("80.00"), D("8.00")),
            ],
        ),
    ],
)
def test_a_closed_month_corrected_both_ways_keeps_each_orders_partner_share(
    lake, k, feb_amount, expected
):
    body = _february_closed_then(
        lake,
        k,
        feb_amount,
        [
            _chargeback("o1", feb_amount, "2026-02-10 10:00"),
            _late("o2", "80.00", "2026-02-27 10:00"),
        ],
    )
    assert [(b[1], b[2], b[4], b[5]) for b in body] == expected


def test_a_tier_crossing_is_on_rate_recalc_not_on_the_order_that_crossed(lake):
    # graduated 10% to 1000, 20% above: February settled 900 (90.00); a late 300 makes it
    # 1200 (100 + 40 = 140.00): the order carries 300 at February's 10%, the tier crossing 20.00
    k = contract("k-grad", "moonbay", [("0.00", "0.10"), ("1000.00", "0.20")], model="graduated")
    body = _february_closed_then(lake, k, "900.00", [_late("o2", "300.00", "2026-02-27 10:00")])
    assert [(b[1], b[2], b[4], b[5]) for b in body] == [
        ("RATE_RECALC", None, D("0.00"), D("20.00")),
        ("LATE_ORDER", "o2", D("300.00"), D("30.00")),
    ]


@pytest.mark.parametrize(
    ("rate", "net", "partner"),
    [("6.900000", D("-10.00"), D("-1.00")), ("7.100000", D("10.00"), D("1.00"))],
)
def test_an_fx_rate_redelivered_for_a_closed_date_has_its_own_reason(lake, rate, net, partner):
    k = contract("k-flat", "moonbay", [("0.00", "0.10")])
    one_partner(
        lake,
        k,
        orders=[order("o1", "p1", "100.00", "2026-02-10 10:00", currency="USD", code="MOON")],
        day="2026-02-10",
        fx_rows=[fx("2026-02-10", "USD", "7.000000")],
    )
    feb = run(lake, "2026-03-02", periods={"2026-02"})
    assert statement(feb, "k-flat", "2026-02")[0]["net"] == D("700.00")
    write_clean(lake, "fx_rates", "2026-03-05", "platform", [fx("2026-02-10", "USD", rate)])
    march = run(lake, "2026-03-31", {"2026-02"}, _close(feb, "2026-02"))
    body = [b for b in statement(march, "k-flat", "2026-03")[1] if b[0] == "adjustment"]
    assert body == [("adjustment", "FX_RATE_CHANGE", "o1", "m-1", net, partner, net - partner)]
    [line] = [ln for ln in march.lines if ln.line_type == "adjustment"]
    assert line.credit_minor == 0  # the order itself did not change


def test_the_guarantee_accrues_for_ended_months_and_every_month_in_force_has_a_statement(lake):
    """A full month's guarantee used to top up March on its 10th day, and January and February
    (in force, before the first order anywhere) had no statement at all."""
    k = contract("k-mg", "moonbay", [("0.00", "0.10")], mg="500.00", start="2026-01-15")
    k2 = contract("k-tide", "tidewave", [("0.00", "0.20")], start="2026-02-01")
    reference_data(lake, "2026-03-10", [k, k2], [campaign("m-1", "moonbay", "MOON")])
    write_clean(lake, "fx_rates", "2026-03-10", "platform", [])
    write_clean(
        lake,
        "orders",
        "2026-03-10",
        "platform",
        [order("o1", "p1", "1000.00", "2026-03-02 10:00", code="MOON")],
    )
    s = run(lake, "2026-03-10")
    assert [(h.contract_id, h.period, h.partner_minor, h.top_up_minor) for h in s.headers] == [
        ("k-mg", "2026-01", 50000, 50000),
        ("k-mg", "2026-02", 50000, 50000),
        ("k-mg", "2026-03", 10000, 0),  # under way: its rate share only
        ("k-tide", "2026-02", 0, 0),
        ("k-tide", "2026-03", 0, 0),
    ]
    assert statement(s, "k-tide", "2026-02")[1] == []
    april = run(lake, "2026-04-01")
    assert statement(april, "k-mg", "2026-03")[0]["partner"] == D("500.00")


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # today's rule: the partner of the latest eligible touch takes all, whatever the
        # contracts' fractional models (moonbay's is linear)
        ("latest_partner", {("t-1", "tidewave"): "100.00"}),
        # 3 moonbay touches (m-1 twice), 2 tidewave ones: 60 / 40, moonbay's linear 2:1
        (
            "by_touches",
            {
                ("m-1", "moonbay"): "40.00",
                ("m-2", "moonbay"): "20.00",
                ("t-1", "tidewave"): "40.00",
            },
        ),
        (
            "equal",
            {
                ("m-1", "moonbay"): "33.33",
                ("m-2", "moonbay"): "16.67",
                ("t-1", "tidewave"): "50.00",
            },
        ),
    ],
)
def test_an_order_touched_by_two_partners_is_shared_by_the_platform_rule(lake, rule, expected):
    from alliance_pipeline.config import SettlementConfig
    from alliance_pipeline.settlement.attribution import CROSS_PARTNER_RULES

    assert SettlementConfig().cross_partner_rule == "latest_partner"
    assert SettlementConfig(cross_partner_rule=rule).cross_partner_rule in CROSS_PARTNER_RULES
    k1 = contract("k-moon", "moonbay", [("0.00", "0.10")], attribution="linear")
    k2 = contract("k-tide", "tidewave", [("0.00", "0.20")])
    reference_data(
        lake,
        "2026-03-31",
        [k1, k2],
        [campaign("m-1", "moonbay"), campaign("m-2", "moonbay"), campaign("t-1", "tidewave")],
    )
    write_clean(lake, "fx_rates", "2026-03-31", "platform", [])
    write_clean(
        lake,
        "events",
        "2026-03-20",
        "platform",
        [
            touch("e1", "p1", "m-1", "2026-03-10 10:00"),
            touch("e2", "p1", "m-2", "2026-03-12 10:00"),
            touch("e3", "p1", "t-1", "2026-03-15 10:00"),
            touch("e4", "p1", "m-1", "2026-03-18 10:00"),
            touch("e5", "p1", "t-1", "2026-03-19 10:00"),
        ],
    )
    write_clean(
        lake, "orders", "2026-03-20", "platform", [order("o1", "p1", "100.00", "2026-03-20 10:00")]
    )
    s = settle_both(load_inputs(lake, "2026-03-31"), "2026-03-31", set(), [], cross_partner=rule)
    assert {(c.campaign_id, c.partner_id): from_minor(c.credit_minor) for c in s.credits} == {
        k: D(v) for k, v in expected.items()
    }
    assert sum(c.weight for c in s.credits) == 1
    shares = {h.contract_id: h.partner_minor for h in s.headers if h.period == "2026-03"}
    moon = sum(D(v) for (_, p), v in expected.items() if p == "moonbay")
    assert shares == {"k-moon": int(moon * 10), "k-tide": int(D(expected["t-1", "tidewave"]) * 20)}


def test_the_cross_partner_rules_are_the_configs():
    import typing

    from alliance_pipeline.config import SettlementConfig
    from alliance_pipeline.settlement.attribution import CROSS_PARTNER_RULES

    field = SettlementConfig.model_fields["cross_partner_rule"].annotation
    assert set(typing.get_args(field)) == set(CROSS_PARTNER_RULES)
    with pytest.raises(ValueError, match="cross_partner_rule"):
        SettlementConfig(cross_partner_rule="nope")


@pytest.mark.parametrize("rule", ["latest_partner", "by_touches", "equal"])
def test_both_engines_settle_a_synthetic_lake_identically(lake, rule):
    """Every contract model and scope, three currencies, refunds, chargebacks and re-delivered
    orders over two months: the SQL engine's nets, credits and statements are the oracle's."""
    dts = generate_lake(lake, "2026-02-01", 40, 12)
    s = settle_both(load_inputs(lake, dts[-1]), dts[-1], set(), [], cross_partner=rule)
    assert {c.method for c in s.credits} == {
        "referral_code",
        "last_touch",
        "linear",
        "position_based",
        "time_decay",
    }


def test_a_still_accelerating_campaign_is_not_given_a_saturation():
    from alliance_pipeline.settlement.growth import K_BOUND_FACTOR, fit_logistic

    cumulative = [2**t for t in range(7)]  # doubling every day: no bend in sight
    fit = fit_logistic(list(range(7)), cumulative)
    assert fit["fit_status"] == "not_saturating"
    assert fit["saturation_k"] is None and fit["midpoint"] is None
    # The same rule on a curve that has bent keeps its fit, below the bound.
    bent = [round(60 / (1 + 2.718281828 ** (-1.0 * (t - 3)))) for t in range(8)]
    fit = fit_logistic(list(range(8)), bent)
    assert fit["fit_status"] == "ok" and fit["saturation_k"] < bent[-1] * K_BOUND_FACTOR
