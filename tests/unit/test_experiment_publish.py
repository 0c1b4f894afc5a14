"""The nightly readout task over a lake and a DuckDB warehouse: exact money from the settled
orders, plays of recommended items, one report per experiment, the shared-output walk."""

from __future__ import annotations

import datetime
import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from alliance_pipeline.experiments.assignment import variant_of
from alliance_pipeline.experiments.publish import report_path, run_readout
from alliance_pipeline.experiments.registry import load_experiments
from alliance_pipeline.privacy.outputs import mart_violations
from alliance_pipeline.warehouse import open_warehouse
from tests.unit._settlement_frames import at, order, write_clean

pytestmark = pytest.mark.unit

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
NIGHT = "2026-11-20"
EXPERIMENT = {
    "id": "rec_test",
    "kind": "recommendation",
    "hypothesis": "Popular lists sell more.",
    "salt": "rec-test-salt-1",
    "start_date": "2026-11-18",
    "end_date": "2026-11-30",
    "variants": [
        {"id": "control", "weight": 0.5, "control": True},
        {"id": "popular", "weight": 0.5, "changes": {"strategy": "popularity"}},
    ],
    "primary_metric": "orders_per_person",
    "guardrail_metrics": ["refund_rate"],
    "minimum_detectable_effect": 0.1,
}


@pytest.fixture
def wh(tmp_path):
    own = tmp_path / "migrations"
    own.mkdir()
    for f in MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql"):
        if ".postgres." not in f.name:
            shutil.copy(f, own)
    warehouse = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    warehouse.migrate(own)
    return warehouse


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "experiments.yml"
    path.write_text(yaml.safe_dump({"experiments": [EXPERIMENT]}))
    return path


def _fct_order(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "order_source": "platform", "order_id": r["order_id"],
                "person_key": r["person_key"], "content_id": r["content_id"],
                "order_date": r["ordered_at"].date(), "period": "2026-11", "status": r["status"],
                "channel": "app", "currency": "CNY", "amount": r["amount"],
                "refund_amount": Decimal("0.00"), "net_amount": r["amount"],
                "fx_cny_per_unit": Decimal("1.000000"), "net_amount_cny": r["amount"],
                "is_first_order": False, "attribution_method": None, "partner_id": None,
                "contract_id": None, "campaign_count": 0,
            }
            for r in rows
        ]
    )  # fmt: skip


def test_nightly_readout(tmp_path, wh, registry):
    lake = tmp_path / "lake"
    exp = load_experiments(registry)[0]
    keys = [hashlib.sha256(f"person-{i}".encode()).hexdigest() for i in range(80)]
    arm = {k: variant_of(k, exp) for k in keys}
    exposures, orders, plays, recs = [], [], [], []
    for i, k in enumerate(keys):
        exposures.append({"person_key": k, "key_version": "dev-1", "experiment_id": exp.id,
                          "variant": arm[k], "exposed_at": at("2026-11-19 10:00")})  # fmt: skip
        # before exposure: not counted; after: 1 or 2 orders (2 for every third person)
        orders.append(order(f"O{i}-pre", k, "50.00", "2026-11-19 09:00"))
        for j in range(2 if i % 3 == 0 else 1):
            orders.append(order(f"O{i}-{j}", k, "19.90", "2026-11-20 12:00", content="c-2"))
        recs.append({"run_date": datetime.date(2026, 11, 19), "person_key": k, "rank": 1,
                     "content_id": "c-7", "score": 1.0, "item_source": "platform",
                     "reason": "als"})  # fmt: skip
        plays.append({"event_id": f"E{i}", "person_key": k, "key_version": "dev-1",
                      "content_id": "c-7", "event_type": "play",
                      "event_at": at("2026-11-20 08:00")})  # fmt: skip
    write_clean(lake, "experiment_exposures", "2026-11-19", "platform", exposures)
    pre = [o for o in orders if o["order_id"].endswith("-pre")]
    write_clean(lake, "orders", "2026-11-19", "platform", pre)
    write_clean(
        lake, "orders", NIGHT, "platform", [o for o in orders if "-pre" not in o["order_id"]]
    )
    write_clean(lake, "events", NIGHT, "platform", plays)
    wh.replace_table("mart.fct_order", _fct_order(orders))
    wh.replace_partition(
        "mart.recommendation", {"run_date": datetime.date(2026, 11, 19)}, pd.DataFrame(recs)
    )

    got = run_readout(wh, NIGHT, lake, k=5, registry=registry)
    rows = wh.query_df(
        "SELECT * FROM mart.experiment_readout WHERE dt = ? ORDER BY metric, variant",
        [datetime.date(2026, 11, 20)],
    )
    assert len(rows) == 2 * 6
    n = {v: sum(1 for a in arm.values() if a == v) for v in ("control", "popular")}
    assert got["persons"][exp.id] == n
    orders_of = {v: sum(2 if i % 3 == 0 else 1 for i, k in enumerate(keys) if arm[k] == v)
                 for v in n}  # fmt: skip
    per = rows.set_index(["metric", "variant"])
    for v in n:
        assert per.loc[("orders_per_person", v), "mean"] == pytest.approx(orders_of[v] / n[v])
        # money: exactly the settled nets of the orders after exposure, none of the 50.00 before
        assert per.loc[("revenue_per_person", v), "total_amount"] == Decimal("19.90") * orders_of[v]
        assert per.loc[("recommended_plays_per_person", v), "mean"] == pytest.approx(1.0)
    assert per.loc[("orders_per_person", "popular"), "metric_role"] == "primary"
    assert per.loc[("orders_per_person", "control"), "verdict"] == "control"
    assert per.loc[("orders_per_person", "popular"), "verdict"] in (
        "inconclusive",
        "better",
        "worse",
    )
    report = report_path(lake, exp.id, NIGHT)
    assert got["reports"] == {exp.id: str(report)}
    text = report.read_text(encoding="utf-8")
    assert exp.id in text and "Sample ratio check" in text and "person-" not in text
    assert not any(k in text for k in keys)
    assert mart_violations(wh, 5) == []

    # a rerun replaces its night; a night outside the experiment's dates publishes nothing
    run_readout(wh, NIGHT, lake, k=5, registry=registry)
    assert wh.query("SELECT count(*) FROM mart.experiment_readout")[0][0] == 12
    assert run_readout(wh, "2026-12-05", lake, k=5, registry=registry)["rows"] == 0
