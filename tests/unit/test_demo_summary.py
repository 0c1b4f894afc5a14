"""What `make demo` prints at the end, from a real warehouse and the copied partner files."""

import datetime

import pandas as pd
import pytest

from alliance_pipeline import model_evaluation
from alliance_pipeline.local.summary import print_summary
from alliance_pipeline.warehouse import open_warehouse

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

NIGHTS = [datetime.date(2026, 11, 22), datetime.date(2026, 11, 23)]


def test_summary_shows_segments_model_evaluations_and_the_campaign_audience_files(
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

    print_summary(tmp_path, [(str(n), True, tmp_path / f"{n}.log") for n in NIGHTS])
    out = capsys.readouterr().out
    assert "  2026-11-22 | 2 | 10 | \n" in out  # no night before: nothing to keep
    assert "  2026-11-23 | 2 | 10 | 0.8\n" in out
    assert (
        "moonbay/campaign_audience/dt=2026-11-23/campaign_id=CMP-1/audience.csv  2 customers" in out
    )
    assert "  MB0001,CMP-1,1,frequent buyers,20%-50%" in out
    for night in NIGHTS:
        assert f"  {night} | propensity | click | gbt | 0.7123 | True | True\n" in out
        assert f"  {night} | propensity | order | gbt | 0.65 | True | True\n" in out
