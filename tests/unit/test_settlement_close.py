"""The monthly close on a DuckDB warehouse: months close in order, every month in force has a
statement, and a bounded night after the close leaves them as closed."""

from __future__ import annotations

import pytest

from alliance_pipeline.settlement.close import close_period
from alliance_pipeline.settlement.publish import run_settlement
from alliance_pipeline.warehouse import open_warehouse
from tests.unit._settlement_frames import D, campaign, contract, order, reference_data, write_clean

pytestmark = [pytest.mark.unit, pytest.mark.timeout(120)]


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
