"""Campaign response: the persons an audience targeted against the rest, in a DuckDB warehouse."""

import datetime
import hashlib
from decimal import Decimal

import pandas as pd
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.marketing import response
from alliance_pipeline.recommendation.sample import write_clean, write_curated
from alliance_pipeline.warehouse import open_warehouse

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

YESTERDAY, DS = "2026-11-22", "2026-11-23"
DAY = datetime.date.fromisoformat(DS)
CMP = "CMP-moonbay-01"
KEYS = [hashlib.sha256(f"p{i}".encode()).hexdigest() for i in range(30)]
K = 5


@pytest.fixture
def wh(tmp_path):
    warehouse = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    warehouse.migrate()
    return warehouse


def lake(root, clickers, k_small_campaign=False):
    """Yesterday's audience: persons 0-19 targeted, 20-29 the rest; tonight's clicks."""
    audience = pd.DataFrame(
        {
            "campaign_id": CMP,
            "partner_id": "moonbay",
            "person_key": KEYS,
            "targeted": [i < 20 for i in range(30)],
        }
    )
    if k_small_campaign:
        audience = pd.concat(
            [
                audience,
                pd.DataFrame(
                    {"campaign_id": "CMP-x", "partner_id": "moonbay", "person_key": KEYS[:3]}
                ).assign(targeted=True),
            ]
        )
    write_curated(root, paths.CAMPAIGN_AUDIENCE, audience, dt=YESTERDAY)
    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(clickers) + 2)],
            "person_key": [KEYS[i] for i in clickers] + [KEYS[0], KEYS[25]],
            "event_type": ["click"] * len(clickers) + ["view", "click"],
            "campaign_id": [CMP] * len(clickers) + [CMP, None],  # a view, a click of no campaign
            "event_at": pd.Timestamp(DS, tz="UTC"),
            "source": "moonbay",
            "dt": DAY,
        }
    )
    write_clean(root, "events", events)


def orders(wh, buyers):
    rows = [
        {
            "order_source": "moonbay", "order_id": f"o{i}", "person_key": KEYS[i],
            "content_id": "c1", "order_date": DAY, "period": "2026-11", "status": "paid",
            "channel": "app", "currency": "CNY", "amount": Decimal("10.00"),
            "refund_amount": Decimal("0.00"), "net_amount": Decimal("10.00"),
            "fx_cny_per_unit": Decimal("1.000000"), "net_amount_cny": Decimal("10.00"),
            "is_first_order": False, "attribution_method": "last_touch", "partner_id": "moonbay",
            "contract_id": None, "campaign_count": 1,
        }
        for i in buyers
    ]  # fmt: skip
    wh.replace_table("mart.fct_order", pd.DataFrame(rows))
    wh.replace_table(
        "mart.fct_order_attribution",
        pd.DataFrame(
            [
                {
                    "order_source": "moonbay", "order_id": f"o{i}", "campaign_id": CMP,
                    "partner_id": "moonbay", "contract_id": None, "method": "last_touch",
                    "weight": Decimal("1.000000"), "currency": "CNY",
                    "credit_amount": Decimal("10.00"), "order_date": DAY,
                }
                for i in buyers
            ]
        ),
    )  # fmt: skip


def daily_total(wh):
    columns = wh.columns("mart.fct_campaign_daily")
    row = dict.fromkeys(columns)
    row |= {
        "date": DAY, "campaign_id": CMP, "partner_id": "moonbay", "channel": "all",
        "is_total": True, "impressions": 100, "clicks": 10, "spend_cny": Decimal("5.00"),
        "new_persons_suppressed": False,
    }  # fmt: skip
    wh.replace_partition("mart.fct_campaign_daily", {"date": DAY}, pd.DataFrame([row]))


def test_targeted_against_the_rest_reaches_fct_campaign_daily_and_survives_a_settle(
    tmp_path, wh, monkeypatch
):
    monkeypatch.setattr(response, "min_cell_size", lambda: K)
    root = tmp_path / "lake"
    # 12 targeted clickers (and one twice), 2 of the rest; 6 targeted buyers, 5 of the rest
    lake(root, clickers=[*range(12), 3, 20, 21])
    orders(wh, buyers=[*range(6), *range(20, 25)])
    daily_total(wh)

    assert response.publish_campaign_response(wh, DS, root) == 1
    got = wh.query_df("SELECT * FROM mart.fct_campaign_response").iloc[0]
    assert got["audience_dt"] == datetime.date.fromisoformat(YESTERDAY)
    assert (got["targeted_persons"], got["targeted_clicked"], got["targeted_ordered"]) == (
        20,
        12,
        6,
    )
    # the rest: 10 persons, 2 clickers (withheld: under k), 5 buyers
    assert got["rest_persons"] == 10 and pd.isna(got["rest_clicked"]) and got["rest_ordered"] == 5
    assert got["targeted_click_rate"] == Decimal("0.600000")
    assert got["targeted_order_rate"] == Decimal("0.300000")
    assert pd.isna(got["rest_click_rate"]) and got["rest_order_rate"] == Decimal("0.500000")

    def shown():
        cols = ", ".join(response.RESPONSE_COLUMNS)
        return wh.query(f"SELECT {cols} FROM mart.fct_campaign_daily WHERE is_total")

    filled = shown()
    assert filled[0][:3] == (20, 12, 6)
    daily_total(wh)  # settlement rebuilds the day's rows without the response ...
    assert shown()[0][0] is None
    with wh.transaction() as tx:
        response.fill_campaign_daily(tx)  # ... and copies it back in the same transaction
    assert shown() == filled

    response.publish_campaign_response(wh, DS, root)  # a rerun replaces
    assert len(wh.query("SELECT * FROM mart.fct_campaign_response")) == 1


def test_no_audience_before_the_night_gives_no_rows_and_small_campaigns_are_withheld(
    tmp_path, wh, monkeypatch
):
    monkeypatch.setattr(response, "min_cell_size", lambda: K)
    root = tmp_path / "lake"
    lake(root, clickers=[1], k_small_campaign=True)
    assert response.campaign_response(wh, YESTERDAY, root).empty  # the first night
    small = response.campaign_response(wh, DS, root).set_index("campaign_id").loc["CMP-x"]
    assert small[response.COUNTS].isna().tolist() == [True, False, False, False, False, False]
    assert small["rest_persons"] == 0
