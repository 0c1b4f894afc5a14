"""What `make demo` prints at the end, from a real warehouse and the copied partner files."""

import datetime
from decimal import Decimal

import pandas as pd
import pytest

from alliance_pipeline import model_evaluation
from alliance_pipeline.local.outcome import RunResult
from alliance_pipeline.local.summary import print_summary
from alliance_pipeline.settlement import frames
from alliance_pipeline.settlement.growth import GROWTH_COLUMNS
from alliance_pipeline.settlement.statements import Header, Line
from alliance_pipeline.warehouse import open_warehouse

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

NIGHTS = [datetime.date(2026, 11, 22), datetime.date(2026, 11, 23)]


def results(tmp_path, planted: str | None = None) -> list[RunResult]:
    return [RunResult(f"night {n}", True, tmp_path / f"{n}.log", 61.0) for n in NIGHTS] + [
        RunResult("night 2026-11-24", False, tmp_path / "x.log", 75.4, planted)
    ]


def test_summary_shows_segments_model_evaluations_and_counts_of_the_campaign_audience_files(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(tmp_path / "lake"))
    wh = open_warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    wh.migrate()
    keys = [f"{i:064x}" for i in range(10)]
    # night 2: persons 0-7 keep their segment, 8 and 9 move
    second = ["SEG-001"] * 5 + ["SEG-002"] * 3 + ["SEG-001", "SEG-001"]
    for night, segments in zip(NIGHTS, [["SEG-001"] * 5 + ["SEG-002"] * 5, second], strict=True):
        wh.replace_partition(
            "mart.person_segment",
            {"run_date": night},
            pd.DataFrame({"run_date": night, "person_key": keys, "segment_id": segments}),
        )
    propensity = pd.DataFrame(
        {"target": ["click", "order"], "model": "gbt", "pairs": 100, "positives": 9,
         "roc_auc": [0.71234, 0.65], "pr_auc": 0.2, "log_loss": 0.3, "top_decile_lift": 2.0,
         "chosen": True, "published": True, "reason": "gbt chosen", "scoring_model": "gbt",
         "scoring_model_version": NIGHTS[1], "params": "{}"}
    )  # fmt: skip
    with wh.transaction() as tx:
        for night in NIGHTS:  # one propensity row per night and target
            model_evaluation.replace_family(tx, model_evaluation.PROPENSITY, night, propensity)
    audience = tmp_path / "outbound/moonbay/campaign_audience/dt=2026-11-23/campaign_id=CMP-1"
    audience.mkdir(parents=True)
    (audience / "audience.csv").write_text(
        "source_user_id,campaign_id,rank,segment,predicted_rate\n"
        "MB0001,CMP-1,1,frequent buyers,20%-50%\nMB0002,CMP-1,2,frequent buyers,5%-10%\n"
    )
    del wh

    print_summary(tmp_path, results(tmp_path, "night 2026-11-24: failed as planted — 1 delivery"))
    out = capsys.readouterr().out
    assert f"night 2026-11-22: success in 61s   log: {tmp_path / '2026-11-22.log'}\n" in out
    assert "night 2026-11-24: failed as planted in 75s" in out
    assert "\n  night 2026-11-24: failed as planted — 1 delivery\n" in out
    assert "  2026-11-22 | 2 | 10 | \n" in out  # no night before: nothing to keep
    assert "  2026-11-23 | 2 | 10 | 0.8\n" in out
    assert "  moonbay/campaign_audience/  1 files\n" in out
    assert "  dt=2026-11-23: 1 files, 2 customers\n" in out
    assert (
        "    moonbay/campaign_audience/dt=2026-11-23/campaign_id=CMP-1/audience.csv  2 customers"
        in out
    )
    assert "MB0001" not in out and "MB0002" not in out  # partner user ids are never printed
    assert "make ui" in out
    for night in NIGHTS:
        assert f"  {night} | propensity | click | gbt | 0.7123 | True | True\n" in out
        assert f"  {night} | propensity | order | gbt | 0.65 | True | True\n" in out


def test_summary_shows_the_close_its_statements_adjustments_quarantine_and_growth_fits(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(tmp_path / "lake"))
    wh = open_warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    wh.migrate()
    closed_at = datetime.datetime(2026, 12, 2, 1, 0, tzinfo=datetime.UTC)

    def header(period, partner, currency, net, share, adjustment=(0, 0)):
        return Header(
            period=period, partner_id=partner, contract_id=f"K-{partner}-1", status="closed",
            currency=currency, rate_model="flat", order_net_minor=net, rate_share_minor=share,
            top_up_minor=0, cap_minor=0, adjustment_net_minor=adjustment[0],
            adjustment_partner_minor=adjustment[1], net_minor=net + adjustment[0],
            partner_minor=share + adjustment[1], line_count=3,
        )  # fmt: skip

    refund = Line(
        period="2026-12", partner_id="harbour", contract_id="K-harbour-1", line_no=1,
        line_type="adjustment", currency="HKD", net_minor=-10835, partner_minor=-1408,
        reason_code="REFUND_AFTER_CLOSE", adjusts_period="2026-11", source="moonbay",
        order_id="MOO00000018", campaign_id="CMP-harbour-01",
    )  # fmt: skip
    with wh.transaction() as tx:
        for period in ("2026-10", "2026-11"):
            tx.execute(
                "INSERT INTO ops.settlement_period (period, status, closed_at, closed_through) "
                "VALUES (?, 'closed', ?, ?)",
                [period, closed_at, datetime.date(2026, 12, 2)],
            )
        tx.replace_partition(
            "mart.settlement_statement",
            {"period": "2026-11"},
            frames.header_rows(
                [header("2026-11", "harbour", "HKD", 1234567, 148148),
                 header("2026-11", "moonbay", "CNY", 990001, 99000)],
                "closed", closed_at,
            ),
        )  # fmt: skip
        tx.replace_partition(
            "mart.settlement_statement",
            {"period": "2026-12"},
            frames.header_rows(
                [header("2026-12", "harbour", "HKD", 0, 0, (-10835, -1408))], "open"
            ),
        )
        tx.replace_partition(
            "mart.fct_settlement_line", {"period": "2026-12"}, frames.line_rows([refund], "open")
        )
        tx.replace_partition(
            "mart.quarantine_index",
            {"dt": datetime.date(2026, 12, 2)},
            pd.DataFrame(
                {"run_id": "r", "source": ["platform", "tidewave"], "dataset": "orders",
                 "dt": datetime.date(2026, 12, 2), "rule": ["orphan_order", "columns_present"],
                 "rows": [2, 120], "path": "quarantine/x", "batch_rejected": [False, True]}
            ),
        )  # fmt: skip
        campaigns = ["CMP-harbour-01", "CMP-lumen-01", "CMP-moonbay-01", "CMP-tidewave-01"]
        tx.replace_table(
            "mart.dim_campaign",
            pd.DataFrame(
                {"campaign_id": campaigns, "partner_id": "harbour", "name": "c",
                 "referral_code": None, "start_date": datetime.date(2026, 11, 1),
                 "end_date": datetime.date(2026, 12, 31), "budget": Decimal("1.00"),
                 "currency": "CNY", "objective": "awareness"}
            ),
        )  # fmt: skip
        first = datetime.date(2026, 11, 29)
        growth = [
            (campaigns[0], 4, 57, 0, 80.25, 0.9123, first + datetime.timedelta(days=2), 0.987,
             1.2, "ok"),
            (campaigns[1], 3, 12, 0, None, None, None, None, None, "too_few_points"),
            (campaigns[2], 4, None, 3, None, None, None, None, None, "below_min_cell"),
        ]  # fmt: skip
        tx.replace_table(
            "mart.campaign_growth",
            pd.DataFrame(
                [{"first_date": first, "last_date": first + datetime.timedelta(days=d - 1),
                  **dict(zip(["campaign_id", "days", "new_persons_total",
                              "new_persons_suppressed", "saturation_k", "growth_rate_r",
                              "midpoint_date", "r_squared", "rmse", "fit_status"], g,
                             strict=True))}
                 for g in growth for d in [g[1]]],
                columns=GROWTH_COLUMNS,
            ),
        )  # fmt: skip
    del wh
    for partner in ("harbour", "moonbay"):
        sent = tmp_path / f"outbound/{partner}/statements/period=2026-11"
        sent.mkdir(parents=True)
        for ext in ("csv", "html"):
            (sent / f"K-{partner}-1.{ext}").write_text("statement")

    print_summary(tmp_path, results(tmp_path))
    out = capsys.readouterr().out
    # the quarantine: the rejected batch and the held-back rows, by source, dataset and rule
    assert "  platform | orders | 2026-12-02 | orphan_order | 2 | False\n" in out
    assert "  tidewave | orders | 2026-12-02 | columns_present | 120 | True\n" in out
    # the close: each partner's closed statement, and where its files were copied
    assert (
        "monthly close: 2026-11 closed, and with it the 1 earlier months still open "
        "(2026-10 to 2026-10)" in out
    )
    assert "  harbour | K-harbour-1 | HKD | 12345.67 | 1481.48 | 10864.19 | 3\n" in out
    assert "  moonbay | K-moonbay-1 | CNY | 9900.01 | 990.00 | 8910.01 | 3\n" in out
    assert "sent to the partners (4 files, CSV and HTML)" in out
    assert f"    {tmp_path}/outbound/harbour/statements/period=2026-11/  K-harbour-1.csv, " in out
    # the refund after the close, an adjustment of 2026-11 in 2026-12, to the fen
    assert (
        "  harbour: in 2026-12, corrects 2026-11: REFUND_AFTER_CLOSE: order "
        "moonbay/MOO00000018 (CMP-harbour-01): net -108.35 HKD, partner share -14.08 HKD\n"
    ) in out
    # a growth fit per campaign, or why not
    assert (
        "  CMP-harbour-01: 4 days, 57 new persons: K 80.2, r 0.912/day, midpoint 2026-12-01, "
        "R² 0.987\n"
    ) in out
    assert "  CMP-lumen-01: 3 days, 12 new persons: not fitted: fewer than 4 days" in out
    assert (
        "  CMP-moonbay-01: 4 days, fewer than k new persons: not fitted: fewer than k new "
        "persons in total\n"
    ) in out
    assert "  CMP-tidewave-01: not fitted: no new person credited to it yet\n" in out
    assert "night 2026-11-24: FAILED (see the log) in 75s" in out
