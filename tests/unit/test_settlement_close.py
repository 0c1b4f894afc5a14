"""The monthly close on a DuckDB warehouse: months close in order, every month in force has a
statement, and a bounded night after the close leaves them as closed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.settlement.close import close_period
from alliance_pipeline.settlement.publish import run_settlement
from alliance_pipeline.warehouse import open_warehouse
from tests.unit._settlement_frames import (
    ENGINES,
    D,
    campaign,
    contract,
    order,
    reference_data,
    write_clean,
)

pytestmark = [pytest.mark.unit, pytest.mark.timeout(120)]


@pytest.fixture(params=ENGINES, autouse=True)
def engine(request, tmp_path, monkeypatch):
    """Each test once per settlement.engine, set in the pipeline config the runs read."""
    config = yaml.safe_load(Path(os.environ["ALLIANCE_PIPELINE_CONFIG"]).read_text()) or {}
    config.setdefault("settlement", {})["engine"] = request.param
    path = tmp_path / "pipeline.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("ALLIANCE_PIPELINE_CONFIG", str(path))
    pipeline_config.cache_clear()
    yield request.param
    pipeline_config.cache_clear()


def test_a_close_closes_the_earlier_months_in_force_with_their_guarantee(lake, tmp_path):
    wh = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    wh.migrate()
    k = contract("k-mg", "moonbay", [("0.00", "0.10")], mg="500.00", start="2026-01-01")
    for day in ("2026-02-10", "2026-03-02", "2026-03-05"):
        reference_data(lake, day, [k], [campaign("m-1", "moonbay", "MOON")])
        write_clean(lake, "fx_rates", day, "platform", [])
    write_clean(
        lake,
        "orders",
        "2026-02-10",
        "platform",
        [order("o1", "p1", "1000.00", "2026-02-10 10:00", code="MOON")],
    )
    run_settlement(wh, "2026-02-10", lake, k=1)
    heads = "SELECT period, status, partner_share, top_up_amount FROM mart.settlement_statement ORDER BY period"
    # January (in force, no order anywhere yet, ended) has its guarantee; February is under way
    assert wh.query(heads) == [
        ("2026-01", "open", D("500.00"), D("500.00")),
        ("2026-02", "open", D("100.00"), D("0.00")),
    ]
    run_settlement(wh, "2026-03-02", lake, k=1)
    result = close_period(wh, "2026-02", lake, "2026-03-02")
    assert result["periods"] == ["2026-01", "2026-02"]
    closed = [
        ("2026-01", "closed", D("500.00"), D("500.00")),
        ("2026-02", "closed", D("500.00"), D("400.00")),
    ]
    assert wh.query(heads)[:2] == closed
    # the next night reads from March on: the closed months stay as they are
    assert run_settlement(wh, "2026-03-05", lake, k=1)["read_from"] == "2026-03-01"
    assert wh.query(heads) == [*closed, ("2026-03", "open", D("0.00"), D("0.00"))]


def test_a_bounded_night_takes_in_an_fx_rate_redelivered_for_a_closed_date(lake, tmp_path):
    """A night read from the first open day does not re-read February's orders; a rate
    re-delivered for a February date re-prices them from their closed lines, exactly as a
    night over the whole history does, on an FX_RATE_CHANGE line."""
    from alliance_pipeline.settlement.publish import settlement_as_of
    from tests.unit._settlement_frames import fx

    wh = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    wh.migrate()
    k = contract("k-flat", "moonbay", [("0.00", "0.10")], start="2026-02-01")
    for day in ("2026-02-10", "2026-03-02", "2026-03-05"):
        reference_data(lake, day, [k], [campaign("m-1", "moonbay", "MOON")])
    write_clean(lake, "fx_rates", "2026-02-10", "platform", [fx("2026-02-10", "USD", "7.000000")])
    write_clean(
        lake,
        "orders",
        "2026-02-10",
        "platform",
        [
            order("o1", "p1", "100.00", "2026-02-10 10:00", currency="USD", code="MOON"),
            order("o2", "p2", "50.00", "2026-02-10 11:00", code="MOON"),
        ],
    )
    run_settlement(wh, "2026-03-02", lake, k=1)
    close_period(wh, "2026-02", lake, "2026-03-02")
    write_clean(lake, "fx_rates", "2026-03-05", "platform", [fx("2026-02-10", "USD", "7.100000")])
    assert run_settlement(wh, "2026-03-05", lake, k=1)["read_from"] == "2026-03-01"
    lines = wh.query(
        "SELECT reason_code, order_id, net_amount, partner_share, order_credit_amount "
        "FROM mart.fct_settlement_line WHERE period = '2026-03' ORDER BY line_no"
    )
    assert lines == [("FX_RATE_CHANGE", "o1", D("10.00"), D("1.00"), D("0.00"))]
    _, whole, _, _ = settlement_as_of(wh, "2026-03-05", lake, whole_history=True)
    assert [
        (ln.reason_code, ln.order_id, ln.net_minor, ln.partner_minor)
        for ln in whole.lines
        if ln.period == "2026-03"
    ] == [("FX_RATE_CHANGE", "o1", 1000, 100)]
