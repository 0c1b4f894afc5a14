"""Hand-made clean-zone Parquet for settlement tests, in exactly the layout de-identification writes
with Spark's partitionBy: clean/{dataset}/dt={dt}/source={source}/part-0.parquet holding
contracts.clean_columns(dataset) except the partition columns dt and source, which live only in
the folder names. ``int96=True`` writes timestamps as Spark did before TIMESTAMP_MICROS (INT96,
read back tz-naive)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import clean_file_schema

CST = datetime.timezone(datetime.timedelta(hours=8))


def write_clean(
    lake: Path,
    dataset: str,
    day: str,
    source: str,
    rows: list[dict],
    part: int = 0,
    int96: bool = False,
) -> Path:
    sch = clean_file_schema(dataset)
    full = [{n: r.get(n) for n in sch.names} for r in rows]
    table = pa.Table.from_pylist(full, schema=sch)
    out = paths.partition(paths.clean(dataset), Path(lake), dt=day, source=source)
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out / f"part-{part}.parquet", use_deprecated_int96_timestamps=int96)
    return out


def at(text: str) -> datetime.datetime:
    """'2026-03-05 10:00' in Asia/Shanghai, as an aware datetime."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=CST)


def D(x) -> Decimal:
    return Decimal(str(x))


def order(
    order_id,
    person,
    amount,
    when,
    *,
    currency="CNY",
    status="paid",
    refund=None,
    code=None,
    content="c-1",
    updated=None,
    channel="app",
) -> dict:
    return dict(
        order_id=order_id,
        person_key=person,
        key_version="dev-1",
        content_id=content,
        quantity=1,
        unit_price=D(amount),
        amount=D(amount),
        currency=currency,
        ordered_at=at(when),
        status=status,
        refund_amount=None if refund is None else D(refund),
        referral_code=code,
        channel=channel,
        updated_at=at(updated or when),
    )


def touch(event_id, person, campaign, when, kind="click") -> dict:
    return dict(
        event_id=event_id,
        person_key=person,
        key_version="dev-1",
        content_id="c-1",
        event_type=kind,
        event_at=at(when),
        campaign_id=campaign,
        device="ios",
    )


def contract(
    contract_id,
    partner,
    tiers,
    *,
    model="flat",
    mg=None,
    cap=None,
    currency="CNY",
    attribution="last_touch",
    window=14,
    views=False,
    scope="all_attributed",
    start="2026-01-01",
    end=None,
) -> dict:
    return dict(
        contract_id=contract_id,
        partner_id=partner,
        scope=scope,
        rate_model=model,
        tiers=json.dumps([{"from": f, "rate": r} for f, r in tiers]),
        minimum_guarantee=None if mg is None else D(mg),
        cap=None if cap is None else D(cap),
        currency=currency,
        attribution_model=attribution,
        window_days=window,
        count_views=views,
        effective_from=datetime.date.fromisoformat(start),
        effective_to=end and datetime.date.fromisoformat(end),
    )


def campaign(campaign_id, partner, code=None) -> dict:
    return dict(
        campaign_id=campaign_id,
        partner_id=partner,
        name=f"Campaign {campaign_id}",
        referral_code=code,
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
        budget=D("10000.00"),
        currency="CNY",
        objective="conversion",
    )


def content(content_id, owner="platform", co_brands=None) -> dict:
    return dict(
        content_id=content_id,
        title=f"Course {content_id}",
        owner_source=owner,
        co_brand_partners=co_brands,
        category="business",
        list_price=D("100.00"),
        currency="CNY",
        launched_at=at("2025-12-01 09:00"),
    )


def fx(day: str, currency: str, rate: str) -> dict:
    return dict(date=datetime.date.fromisoformat(day), currency=currency, cny_per_unit=D(rate))


def delivery(campaign_id, day, channel, impressions, clicks, spend, currency="CNY") -> dict:
    return dict(
        campaign_id=campaign_id,
        date=datetime.date.fromisoformat(day),
        channel=channel,
        impressions=impressions,
        clicks=clicks,
        spend=D(spend),
        currency=currency,
    )


def reference_data(
    lake: Path,
    day: str,
    contracts: list[dict],
    campaigns: list[dict],
    catalog=None,
    int96: bool = False,
) -> None:
    """The platform's nightly snapshots."""
    write_clean(lake, "contracts", day, "platform", contracts, int96=int96)
    write_clean(lake, "campaigns", day, "platform", campaigns, int96=int96)
    write_clean(lake, "catalog", day, "platform", catalog or [content("c-1")], int96=int96)


PARTNERS = ("moonbay", "tidewave", "lumen")


def generate_lake(
    lake: Path,
    start: str,
    days: int,
    orders_per_day: int,
    seed: int = 7,
    int96_before: str | None = None,
) -> list[str]:
    """Synthetic clean zone: contracts of every model, campaigns, touches, orders (some USD,
    refunds, chargebacks, re-deliveries), fx and delivery, one dt partition per day; the days
    before ``int96_before`` with INT96 timestamps, as Spark wrote them before. Returns the dts."""
    import random

    rnd = random.Random(seed)
    first = datetime.date.fromisoformat(start)
    dts = [(first + datetime.timedelta(days=i)).isoformat() for i in range(days)]
    models = ["last_touch", "linear", "position_based", "time_decay", "first_touch"]
    contracts = [
        contract(
            "k-moonbay",
            "moonbay",
            [("0.00", "0.10"), ("5000.00", "0.15"), ("20000.00", "0.20")],
            model="graduated",
            mg="300.00",
            attribution="linear",
            views=True,
        ),
        contract(
            "k-tidewave",
            "tidewave",
            [("0.00", "0.08"), ("10000.00", "0.12")],
            model="volume",
            cap="2500.00",
            attribution="time_decay",
        ),
        contract("k-lumen", "lumen", [("0.00", "0.125")], attribution="position_based", window=7),
        contract(
            "k-lumen-own",
            "lumen",
            [("0.00", "0.30")],
            scope="own_content",
            currency="CNY",
            attribution=models[0],
        ),
    ]
    campaigns = [
        campaign(f"{p[:2]}-{i}", p, f"{p[:2].upper()}{i}" if i == 1 else None)
        for p in PARTNERS
        for i in (1, 2, 3)
    ]
    catalog = [
        content("c-1"),
        content("c-2", co_brands="moonbay;tidewave"),
        content("c-3", owner="lumen"),
    ]
    persons = [f"{rnd.getrandbits(128):032x}" for _ in range(max(40, orders_per_day * 3))]
    n_order = 0
    for i, day in enumerate(dts):
        old = int96_before is not None and day < int96_before
        reference_data(lake, day, contracts, campaigns, catalog, int96=old)
        write_clean(
            lake,
            "fx_rates",
            day,
            "platform",
            [
                fx(day, "USD", f"{7.1 + rnd.randint(0, 999) / 10000:.6f}"),
                fx(day, "HKD", "0.910000"),
            ],
        )
        touches = []
        for j in range(orders_per_day * 2):
            c = rnd.choice(campaigns)
            h = rnd.randint(0, 23)
            touches.append(
                touch(
                    f"e{i}-{j}",
                    rnd.choice(persons),
                    c["campaign_id"],
                    f"{day} {h:02d}:{rnd.randint(0, 59):02d}",
                    kind=rnd.choice(["click", "click", "view"]),
                )
            )
        write_clean(lake, "events", day, "platform", touches, int96=old)
        rows = []
        for _ in range(orders_per_day):
            n_order += 1
            code = rnd.choice(
                [None] * 6 + [c["referral_code"] for c in campaigns if c["referral_code"]]
            )
            cur = rnd.choice(["CNY"] * 8 + ["USD", "HKD"])
            amount = f"{rnd.randint(1, 200) * 10 + rnd.choice([0, 0.5, 0.99]):.2f}"
            rows.append(
                order(
                    f"o{n_order}",
                    rnd.choice(persons),
                    amount,
                    f"{day} {rnd.randint(0, 23):02d}:30",
                    currency=cur,
                    code=code,
                    content=rnd.choice(["c-1", "c-2", "c-3"]),
                )
            )
        # re-deliveries of some of today's orders with a later updated_at: the latest version wins
        for src in rnd.sample(rows, max(1, orders_per_day // 10)):
            status = rnd.choice(["partially_refunded", "refunded", "chargeback"])
            refund = D(f"{src['amount'] / 2:.2f}") if status == "partially_refunded" else None
            rows.append(
                {
                    **src,
                    "status": status,
                    "refund_amount": refund,
                    "updated_at": src["updated_at"] + datetime.timedelta(hours=1),
                }
            )
        write_clean(lake, "orders", day, "platform", rows, int96=old)
        write_clean(
            lake,
            "campaign_delivery",
            day,
            "moonbay",
            [
                delivery(
                    c["campaign_id"],
                    day,
                    ch,
                    rnd.randint(1000, 5000),
                    rnd.randint(10, 200),
                    f"{rnd.randint(100, 900)}.00",
                )
                for c in campaigns
                if c["partner_id"] == "moonbay"
                for ch in ("wechat", "douyin")
            ],
        )
        write_clean(
            lake,
            "campaign_delivery",
            day,
            "tidewave",
            [
                delivery(
                    c["campaign_id"],
                    day,
                    "weibo",
                    rnd.randint(1000, 5000),
                    rnd.randint(10, 200),
                    f"{rnd.randint(10, 90)}.00",
                    "USD",
                )
                for c in campaigns
                if c["partner_id"] == "tidewave"
            ],
        )
    return dts


ENGINES = ("duckdb", "python")  # settlement.engine: the SQL engine and its exact oracle


def _multiset(items) -> list[str]:
    return sorted(map(repr, items))


def assert_same_settlement(a, b) -> None:
    """Two engines' settlements: identical nets, credits, first orders and statements (headers
    and lines compared whatever their order, value for value)."""
    assert a.orders == b.orders
    assert a.credits == b.credits
    assert a.firsts == b.firsts
    assert _multiset(a.headers) == _multiset(b.headers)
    assert _multiset(a.lines) == _multiset(b.lines)


def settle_both(inputs, dt: str, *args, **kwargs):
    """``engine.compute`` with every engine; asserts they agree and returns the default's."""
    from alliance_pipeline.settlement.engine import DEFAULT_ENGINE, compute

    out = {e: compute(inputs, dt, *args, engine=e, **kwargs) for e in ENGINES}
    assert_same_settlement(out["duckdb"], out["python"])
    return out[DEFAULT_ENGINE]
