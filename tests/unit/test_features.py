"""Segmentation features on a hand-made clean zone in the lake's real layout, read back through
the job's reader (one Spark session, few actions)."""

import datetime
from decimal import Decimal

import pandas as pd
import pytest

from alliance_pipeline.lake.spark_io import read_clean
from alliance_pipeline.recommendation.sample import write_clean
from alliance_pipeline.segmentation import features as feat

pytestmark = pytest.mark.unit

DS = datetime.date(2026, 11, 23)
LOOKBACK = 30
UTC = datetime.UTC


def ts(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def lake(root, **rows):
    """The clean zone as Spark writes it (dt and source in the folder names, not the files), so
    the test reads it back through the job's reader."""
    for dataset, records in rows.items():
        write_clean(root, dataset, pd.DataFrame(records, dtype=object))


def order(oid, person, amount, day, *, currency="CNY", status="paid", refund=None, updated=None,
          source="platform", hour=10):  # fmt: skip
    return {
        "order_id": oid, "person_key": person, "key_version": "dev-1", "content_id": "c1",
        "quantity": 1, "unit_price": Decimal(amount), "amount": Decimal(amount),
        "currency": currency, "ordered_at": ts(day, hour), "status": status,
        "refund_amount": Decimal(refund) if refund else None,
        "updated_at": updated or ts(day, hour), "source": source, "dt": (updated or ts(day)).date(),
    }  # fmt: skip


def event(eid, person, content, etype, *, day=DS - datetime.timedelta(days=3), duration=None,
          source="platform", delivered=None):  # fmt: skip
    return {
        "event_id": eid, "person_key": person, "key_version": "dev-1", "content_id": content,
        "event_type": etype, "event_at": ts(day), "duration_s": duration, "source": source,
        "dt": delivered or day,
    }  # fmt: skip


@pytest.fixture(scope="module")
def features(spark, tmp_path_factory):
    d = lambda n: DS - datetime.timedelta(days=n)  # ruff: ignore[lambda-assignment]
    orders = [
        order("o1", "A", "100.00", d(5)),
        # re-delivered three days later with a partial refund: the latest version wins
        order("o1", "A", "100.00", d(5), status="partially_refunded", refund="30.00",
              updated=ts(d(2))),
        # 18:00 UTC on d(3) is d(2) in Asia/Shanghai; USD at the latest rate on or before d(2)
        order("o2", "A", "10.00", d(3), currency="USD", status="partially_refunded",
              refund="4.00", hour=18, source="moonbay"),
        order("o3", "A", "50.00", d(1), status="refunded", refund="50.00"),
        order("o4", "A", "999.00", d(40)),  # before the window
        order("o5", "B", "0.00", d(1)),  # a free order is not a paid order
    ]  # fmt: skip
    fx = [
        {"date": d(4), "currency": "USD", "cny_per_unit": Decimal("7.100000"), "source": "platform", "dt": d(4)},
        {"date": d(1), "currency": "USD", "cny_per_unit": Decimal("9.000000"), "source": "platform", "dt": d(1)},
    ]  # fmt: skip
    events = [
        event("e1", "A", "c1", "play", duration=600),
        event("e2", "A", "c1", "complete", duration=300),
        event("e3", "A", "c2", "play", duration=120),
        event("e4", "A", "c2", "progress", duration=60),
        event("e5", "A", "c3", "click", source="tidewave"),  # campaign click: not engagement
        event("e6", "B", "c2", "view"),
        # delivered late, inside the window, but it happened before the window
        event("e7", "B", "c1", "play", day=d(31), duration=9000, delivered=d(29)),
    ]  # fmt: skip
    catalog = [
        {"content_id": "c1", "category": "technology", "source": "platform", "dt": DS},
        {"content_id": "c2", "category": "arts", "source": "platform", "dt": DS},
        {"content_id": "c3", "category": "finance", "source": "platform", "dt": DS},
    ]  # fmt: skip
    persons = spark.createDataFrame(
        [("A", "moonbay;platform", "gold", "25-34"), ("B", "platform", None, None),
         ("C", "lumen", "free", "35-44")],
        "person_key string, sources string, membership_tier string, age_band string",
    )  # fmt: skip
    start = feat.window_start(DS, LOOKBACK)
    root = tmp_path_factory.mktemp("lake")
    lake(root, orders=orders, fx_rates=fx, events=events, catalog=catalog)
    orders = read_clean(spark, str(root), "orders", start, DS)
    assert {r.source for r in orders.select("source").distinct().collect()} == {
        "platform",
        "moonbay",
    }
    fx = read_clean(
        spark, str(root), "fx_rates", start - datetime.timedelta(days=feat.FX_SLACK_DAYS), DS
    )
    events = read_clean(spark, str(root), "events", start, DS)
    catalog = read_clean(spark, str(root), "catalog", DS, DS)
    orders_cny = feat.orders_in_cny(orders, fx, start, DS)
    out = feat.person_features(persons, orders_cny, events, catalog, DS, LOOKBACK)
    rows = {r.person_key: r for r in out.collect()}
    return rows, orders_cny


@pytest.mark.spark
def test_rfm_net_of_refunds_in_cny(features):
    rows, _ = features
    a = rows["A"]
    # o1 net 70.00 CNY; o2 net 6.00 USD at 7.100000 = 42.60; o3 fully refunded; o4 too old
    assert a.monetary_cny == Decimal("112.60")
    assert a.frequency == 2
    assert a.recency_days == 2  # o2, placed on d(2) in Asia/Shanghai
    b, c = rows["B"], rows["C"]
    assert (b.frequency, b.monetary_cny, b.recency_days) == (0, Decimal("0.00"), LOOKBACK)
    assert (c.frequency, c.recency_days) == (0, LOOKBACK)


@pytest.mark.spark
def test_every_order_in_window_has_a_rate(features):
    _, orders_cny = features
    assert feat.missing_rates(orders_cny).count() == 0


@pytest.mark.spark
def test_completion_rate_watch_minutes_and_play_seconds(features):
    rows, _ = features
    assert rows["A"].completion_rate == pytest.approx(0.5)  # c1 completed of c1, c2 started
    assert rows["A"].watch_minutes == pytest.approx((600 + 300 + 120 + 60) / 60)
    assert rows["A"].play_seconds == pytest.approx((600 + 300 + 120 + 60) / 4)  # click: none
    assert rows["B"].completion_rate == 0  # nothing started in the window
    assert rows["B"].watch_minutes == 0
    assert rows["B"].play_seconds == 0  # its only timed event is outside the window


@pytest.mark.spark
def test_category_shares_sum_to_one(features):
    rows, _ = features
    a, b, c = rows["A"], rows["B"], rows["C"]
    assert a.share_technology == pytest.approx(0.5)
    assert a.share_arts == pytest.approx(0.5)
    assert a.share_finance == 0  # the click does not count as engagement
    for r in (a, b):
        assert sum(r[s] for s in feat.SHARE_COLUMNS) == pytest.approx(1.0)
    assert sum(c[s] for s in feat.SHARE_COLUMNS) == 0  # no engagement at all


@pytest.mark.spark
def test_sources_tier_and_age_band(features):
    rows, _ = features
    assert rows["A"].sources_touched == 3  # moonbay, platform registered; tidewave click
    assert (rows["A"].membership_tier, rows["A"].tier_rank, rows["A"].age_band) == (
        "gold",
        2,
        "25-34",
    )
    assert (rows["B"].membership_tier, rows["B"].tier_rank, rows["B"].age_band) == (
        "free",
        0,
        "unknown",
    )
