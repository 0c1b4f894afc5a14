"""Reading the clean zone as Spark writes it: partition columns only in folder names, timestamps
as INT96 (old files, tz-naive) or TIMESTAMP_MICROS UTC, money as exact decimals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import read_clean
from alliance_pipeline.settlement.inputs import TOUCH_COLUMNS, load_inputs
from alliance_pipeline.settlement.publish import marts
from tests.unit._settlement_frames import (
    campaign,
    content,
    contract,
    delivery,
    fx,
    order,
    reference_data,
    settle_both,
    touch,
    write_clean,
)

pytestmark = pytest.mark.unit

DAY = "2026-03-31"


def night(lake, int96: bool) -> None:
    """One night, every file in one timestamp encoding; order late on the 31st in Shanghai."""
    k = contract("k-1", "moonbay", [("0.00", "0.10")])
    reference_data(
        lake,
        DAY,
        [k],
        [campaign("m-1", "moonbay", "MOON")],
        [content("c-1")],
        int96=int96,
    )
    write_clean(
        lake,
        "orders",
        DAY,
        "platform",
        [order("o-1", "p1", "100.00", "2026-03-31 23:30", code="MOON")],
        int96=int96,
    )
    write_clean(lake, "events", DAY, "platform", [touch("e1", "p1", "m-1", "2026-03-31 20:00")])
    write_clean(lake, "events", DAY, "kestrel", [touch("e1", "p1", "m-1", "2026-03-30 20:00")])
    write_clean(lake, "fx_rates", DAY, "platform", [fx(DAY, "USD", "7.123456")])
    write_clean(
        lake, "campaign_delivery", DAY, "moonbay", [delivery("m-1", DAY, "wechat", 10, 1, "5.25")]
    )


def test_files_hold_no_partition_columns_and_the_reader_takes_them_from_folders(lake):
    night(lake, int96=False)
    events = paths.partition(paths.clean("events"), lake, dt=DAY, source="kestrel")
    [f] = events.glob("*.parquet")
    assert not {"dt", "source"} & set(pq.read_schema(f).names)

    events = read_clean(lake, "events", DAY)
    assert sorted(events["source"]) == ["kestrel", "platform"]
    assert set(events["dt"]) == {datetime.date(2026, 3, 31)}
    # the same event id from two sources stays two touches
    assert len(events.drop_duplicates(["source", "event_id"])) == 2


@pytest.mark.parametrize("int96", [True, False])
def test_naive_int96_timestamps_are_utc_and_every_mart_builds(lake, int96):
    night(lake, int96=int96)
    inputs = load_inputs(lake, DAY)
    ordered_at = inputs.orders["ordered_at"].iloc[0]
    assert ordered_at == datetime.datetime(2026, 3, 31, 15, 30, tzinfo=datetime.UTC)

    s = settle_both(inputs, DAY, set(), [])
    [o] = s.orders
    assert o.order_date == datetime.date(2026, 3, 31) and o.period == "2026-03"
    tables, _ = marts(inputs, s, [], k=1)
    [launched] = tables["mart.dim_content"]["launched_date"]
    assert launched == datetime.date(2025, 12, 1)
    [row] = tables["mart.fct_order"].to_dict("records")
    assert row["amount"] == Decimal("100.00") and row["partner_id"] == "moonbay"


def test_money_stays_decimal_and_integers_with_nulls_stay_integers(lake):
    night(lake, int96=False)
    inputs = load_inputs(lake, DAY)
    assert inputs.fx_rates["cny_per_unit"].tolist() == [Decimal("7.123456")]
    assert inputs.campaign_delivery["spend"].tolist() == [Decimal("5.25")]
    assert inputs.orders["refund_amount"].tolist() == [None]
    assert inputs.orders["quantity"].tolist() == [1]
    assert inputs.campaign_delivery["dt"].tolist() == [datetime.date(2026, 3, 31)]


def _write(lake, dataset, source, table):
    out = paths.partition(paths.clean(dataset), lake, dt=DAY, source=source)
    out.mkdir(parents=True)
    pq.write_table(table, out / "part-0.parquet")


def test_float_money_is_refused_naming_the_partition(lake):
    _write(lake, "fx_rates", "platform", pa.table({"cny_per_unit": pa.array([7.1])}))
    with pytest.raises(TypeError, match=r"dataset fx_rates, dt 2026-03-31.*never float"):
        read_clean(lake, "fx_rates", DAY)


def test_a_decimal_that_would_round_is_refused(lake):
    money = pa.array([Decimal("1.005")], pa.decimal128(18, 3))
    _write(lake, "campaign_delivery", "moonbay", pa.table({"spend": money}))
    with pytest.raises(TypeError, match="column spend"):
        read_clean(lake, "campaign_delivery", DAY)


def test_each_source_keeps_its_latest_snapshot(lake):
    reference_data(lake, "2026-03-30", [], [campaign("m-1", "moonbay")])
    reference_data(lake, DAY, [], [campaign("m-2", "moonbay")])
    write_clean(lake, "campaigns", "2026-03-30", "tidewave", [campaign("t-1", "tidewave")])
    campaigns = load_inputs(lake, DAY).campaigns
    assert sorted(campaigns["campaign_id"]) == ["m-2", "t-1"]


def test_settlement_reads_only_the_touch_columns_of_campaign_touches(lake):
    """Events are the night's most rows: only campaign clicks and views are kept, and only the
    columns attribution reads (a play without a campaign never reaches memory)."""
    night(lake, int96=False)
    play = {**touch("e2", "p2", "m-1", "2026-03-31 21:00"), "campaign_id": None}
    played = touch("e3", "p2", "m-1", "2026-03-31 21:00", kind="play")
    write_clean(lake, "events", "2026-03-30", "platform", [play, played])
    events = load_inputs(lake, DAY).events
    assert events.column_names == list(TOUCH_COLUMNS)
    assert sorted(events["source"].to_pylist()) == ["kestrel", "platform"]
    assert events["event_id"].to_pylist() == ["e1", "e1"]
