"""Two months of clean-zone data settled into DuckDB and PostgreSQL: the same statements in both,
closed statements byte-identical across reruns and late data, partner files from closed ones."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from alliance_pipeline.settlement.close import close_period
from alliance_pipeline.settlement.frames import LINE_COLUMNS, STATEMENT_COLUMNS
from alliance_pipeline.settlement.outbound import write_partner_statements
from alliance_pipeline.settlement.publish import run_settlement
from alliance_pipeline.warehouse import open_warehouse
from tests.unit._settlement_frames import D, generate_lake, order, write_clean

pytestmark = pytest.mark.integration
CLOSED_AT = datetime.datetime(2026, 3, 3, 2, 0, tzinfo=datetime.UTC)
K = 3


@pytest.fixture(scope="module")
def settled_lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake")
    generate_lake(lake, "2026-02-01", 36, 12, int96_before="2026-02-20")
    # after the February close: a refund and a chargeback of February orders, and a late February order
    write_clean(
        lake,
        "orders",
        "2026-03-05",
        "platform",
        [
            {
                **_latest(lake, "o5"),
                "status": "partially_refunded",
                "refund_amount": D("10.00"),
                "updated_at": datetime.datetime(2026, 3, 5, 1, 0, tzinfo=datetime.UTC),
            },
            {
                **_latest(lake, "o20"),
                "status": "chargeback",
                "refund_amount": None,
                "updated_at": datetime.datetime(2026, 3, 5, 1, 0, tzinfo=datetime.UTC),
            },
            {
                **order("late-1", "p-late", "300.00", "2026-02-27 10:00", code="MO1"),
                "updated_at": datetime.datetime(2026, 3, 5, 2, 0, tzinfo=datetime.UTC),
            },
        ],
        part=1,
    )
    return lake


def _latest(lake, order_id):
    import pyarrow.parquet as pq

    for f in sorted((lake / "clean" / "orders").glob("dt=*/source=*/*.parquet")):
        rows = [r for r in pq.read_table(f).to_pylist() if r["order_id"] == order_id]
        if rows:
            return {k: v for k, v in rows[-1].items() if k not in ("source", "dt")}
    raise AssertionError(order_id)


def snapshot(wh, where="TRUE"):
    heads = wh.query(
        f"SELECT {', '.join(STATEMENT_COLUMNS)} FROM mart.settlement_statement WHERE {where} "
        "ORDER BY period, partner_id, contract_id"
    )
    lines = wh.query(
        f"SELECT {', '.join(LINE_COLUMNS)} FROM mart.fct_settlement_line WHERE {where} "
        "ORDER BY period, partner_id, contract_id, line_no"
    )
    return [tuple(r) for r in heads], [tuple(r) for r in lines]


def nights(wh, lake):
    wh.migrate()
    for dt in ("2026-02-15", "2026-02-28", "2026-03-02"):
        run_settlement(wh, dt, lake, k=K)
    assert (
        close_period(wh, "2026-02", lake, "2026-03-02", closed_at=CLOSED_AT)["status"] == "closed"
    )
    closed = snapshot(wh, "period = '2026-02'")
    for dt in (
        "2026-03-06",
        "2026-03-06",
        "2026-02-28",
        "2026-03-06",
    ):  # reruns, a backfill after close
        run_settlement(wh, dt, lake, k=K)
        assert snapshot(wh, "period = '2026-02'") == closed
    assert close_period(wh, "2026-02", lake, "2026-03-06")["status"] == "already_closed"
    assert snapshot(wh, "period = '2026-02'") == closed
    return snapshot(wh)


def test_same_statements_in_duckdb_and_postgres(settled_lake, duckdb_url, fresh_pg_url):
    duck = nights(open_warehouse(duckdb_url), settled_lake)
    pg = nights(open_warehouse(fresh_pg_url()), settled_lake)
    assert duck == pg
    heads, lines = duck
    assert {h[3] for h in heads if h[0] == "2026-02"} == {"closed"}
    assert {h[3] for h in heads if h[0] == "2026-03"} == {"open"}
    hi, li = STATEMENT_COLUMNS.index, LINE_COLUMNS.index
    for h in heads:
        mine = [ln for ln in lines if ln[:3] == h[:3]]
        assert sum(ln[li("net_amount")] for ln in mine) == h[hi("net_amount")]
        assert sum(ln[li("partner_share")] for ln in mine) == h[hi("partner_share")]
        assert h[hi("partner_share")] + h[hi("platform_share")] == h[hi("net_amount")]
        assert all(isinstance(v, Decimal) for v in h[6:15])
    adjustments = {
        (ln[li("reason_code")], ln[li("order_id")])
        for ln in lines
        if ln[li("line_type")] == "adjustment"
    }
    assert ("LATE_ORDER", "late-1") in adjustments
    assert ("REFUND_AFTER_CLOSE", "o5") in adjustments or not any(
        ln[li("order_id")] == "o5" for ln in lines
    )
    assert ("CHARGEBACK_AFTER_CLOSE", "o20") in adjustments or not any(
        ln[li("order_id")] == "o20" for ln in lines
    )
    assert {ln[li("adjusts_period")] for ln in lines if ln[li("line_type")] == "adjustment"} == {
        "2026-02"
    }


SETTLEMENT_MARTS = (
    "settlement_statement", "fct_settlement_line", "fct_order", "fct_order_attribution",
    "fct_campaign_daily", "campaign_growth", "dim_campaign", "dim_content", "dim_date",
)  # fmt: skip


def test_a_rerun_of_an_earlier_night_does_not_rewind_the_marts(settled_lake, duckdb_url):
    wh = open_warehouse(duckdb_url)
    wh.migrate()

    def marts():
        return {
            t: sorted(map(tuple, wh.query(f"SELECT * FROM mart.{t}"))) for t in SETTLEMENT_MARTS
        }

    run_settlement(wh, "2026-02-20", settled_lake, k=K)
    as_of_feb_20 = marts()
    run_settlement(wh, "2026-03-06", settled_lake, k=K)
    latest = marts()
    assert latest["fct_order"] != as_of_feb_20["fct_order"]
    assert run_settlement(wh, "2026-02-20", settled_lake, k=K)["as_of"] == "2026-03-06"
    assert marts() == latest
    nights = wh.query("SELECT dt, as_of FROM ops.settlement_night ORDER BY dt")
    assert nights == [
        (datetime.date(2026, 2, 20), datetime.date(2026, 3, 6)),
        (datetime.date(2026, 3, 6),) * 2,
    ]


def test_marts_hold_no_float_money(settled_lake, duckdb_url):
    wh = open_warehouse(duckdb_url)
    wh.migrate()
    run_settlement(wh, "2026-03-06", settled_lake, k=K)
    for table, cols in {
        "mart.fct_order": "amount, refund_amount, net_amount, net_amount_cny",
        "mart.fct_campaign_daily": "spend_cny, revenue_u_cny, revenue_p_cny, roas_u, cac_cny",
        "mart.fct_settlement_line": "net_amount, partner_share, platform_share",
    }.items():
        rows = wh.query(f"SELECT {cols} FROM {table}")
        assert rows
        assert all(v is None or isinstance(v, Decimal) for r in rows for v in r)
    daily = wh.query(
        "SELECT new_persons FROM mart.fct_campaign_daily WHERE new_persons IS NOT NULL AND new_persons > 0"
    )
    assert all(n >= K for (n,) in daily)
    missing = wh.query(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c WHERE c.table_schema = 'mart' "
        "AND c.table_name IN ('fct_order','fct_settlement_line','settlement_statement','fct_campaign_daily',"
        "'campaign_growth','dim_campaign','dim_content','dim_date','fct_order_attribution') "
        "AND NOT EXISTS (SELECT 1 FROM duckdb_columns() d WHERE d.schema_name = 'mart' AND d.table_name = c.table_name "
        "AND d.column_name = c.column_name AND d.comment IS NOT NULL)"
    )
    assert missing == []


def test_partner_files_hold_only_their_figures(settled_lake, duckdb_url, s3_endpoint):
    wh = open_warehouse(duckdb_url)
    wh.migrate()
    run_settlement(wh, "2026-03-02", settled_lake, k=K)
    close_period(wh, "2026-02", settled_lake, "2026-03-02", closed_at=CLOSED_AT)
    client = s3_endpoint.client()
    bucket = "outbound-settlement-test"
    client.create_bucket(Bucket=bucket)
    keys = write_partner_statements(wh, "2026-02", lambda _partner: (client, bucket))
    assert "outbound/moonbay/statements/period=2026-02/k-moonbay.csv" in keys
    assert all(k.endswith((".csv", ".html")) for k in keys)
    for key in keys:
        partner = key.split("/")[1]
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        others = {"moonbay", "tidewave", "lumen"} - {partner}
        assert not any(f"k-{o}" in body for o in others)
        if key.endswith(".csv"):
            [partner_share] = [
                r[1]
                for r in wh.query(
                    "SELECT contract_id, partner_share FROM mart.settlement_statement WHERE period = '2026-02' AND contract_id = ?",
                    [key.rsplit("/", 1)[1][:-4]],
                )
            ]
            assert str(partner_share) in body


def test_a_night_read_from_the_first_open_day_settles_as_the_whole_history(
    settled_lake, duckdb_url
):
    """After the February close, nights read from March 1st (settlement.window) plus the
    February orders re-delivered since; statements, orders and attributions equal a computation
    over every partition, and so do the campaign days of the open period."""
    from alliance_pipeline.settlement.publish import marts, settlement_as_of

    wh = open_warehouse(duckdb_url)
    heads, lines = nights(wh, settled_lake)
    assert run_settlement(wh, "2026-03-06", settled_lake, k=K)["read_from"] == "2026-03-01"
    inputs, s, _, closed_lines = settlement_as_of(
        wh, "2026-03-06", settled_lake, whole_history=True
    )
    assert inputs.start is None and len(inputs.orders) > 0
    whole, _ = marts(inputs, s, closed_lines, K)
    open_heads = [h for h in heads if h[3] == "open"]
    assert [h[:3] for h in open_heads] == [
        (h.period, h.partner_id, h.contract_id) for h in s.headers if h.period >= "2026-03"
    ]
    hi = STATEMENT_COLUMNS.index
    assert [h[hi("partner_share")] for h in open_heads] == [
        Decimal(h.partner_minor).scaleb(-2) for h in s.headers if h.period >= "2026-03"
    ]
    assert len([ln for ln in lines if ln[4] == "open"]) == len(
        [ln for ln in s.lines if ln.period >= "2026-03"]
    )

    def same(table, frame, where="TRUE"):
        cols = ", ".join(frame.columns)
        got = sorted(map(tuple, wh.query(f"SELECT {cols} FROM {table} WHERE {where}")), key=repr)
        frame = frame.astype(object).where(frame.notna(), None)
        want = sorted(map(tuple, frame.itertuples(index=False)), key=repr)
        assert len(got) == len(want) > 0 and got == want, table

    same("mart.fct_order", whole["mart.fct_order"])
    same("mart.fct_order_attribution", whole["mart.fct_order_attribution"])
    daily = whole["mart.fct_campaign_daily"]
    march = daily[daily["date"] >= datetime.date(2026, 3, 1)]
    same("mart.fct_campaign_daily", march, "date >= DATE '2026-03-01'")
