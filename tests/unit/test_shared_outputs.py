"""The privacy classes of the outputs and the k check of every shared one (privacy/outputs.py),
on a migrated DuckDB warehouse and on audience files built by the real audience code."""

import datetime

import pandas as pd
import pytest

from alliance_pipeline.privacy import outputs
from alliance_pipeline.privacy.publish import OVERLAP_TABLE, partner_overlap
from alliance_pipeline.recommendation.audience import audience
from alliance_pipeline.settlement.outbound import HEADER_FIGURES, statement_csv
from alliance_pipeline.warehouse import open_warehouse
from tests.unit.test_rec_audience import frames

pytestmark = pytest.mark.unit

K = 5
DT = datetime.date(2026, 11, 23)


@pytest.fixture
def wh(tmp_path):
    warehouse = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    warehouse.migrate()
    return warehouse


def _publish_overlap(wh, overlap: pd.DataFrame) -> None:
    wh.replace_partition(OVERLAP_TABLE, {"dt": DT}, overlap.assign(dt=DT)[["dt", *overlap]])


def test_every_mart_classified_and_person_level_marts_say_they_are_pseudonymous(wh):
    comments = outputs.mart_comments(wh)
    assert set(outputs.PSEUDONYMOUS_MARTS) <= set(comments)
    shared = set(outputs.SHARED_MARTS) | set(outputs.SHARED_COUNT_MARTS)
    assert set(comments) == set(outputs.INTERNAL_MARTS) | shared
    assert outputs.mart_violations(wh, K) == []
    wh.execute("CREATE TABLE mart.new_report (partner_id TEXT, buyers BIGINT)")
    wh.execute("COMMENT ON TABLE mart.fct_order IS 'Orders.'")
    assert outputs.mart_violations(wh, K) == [
        "mart.fct_order: person- or order-level mart whose comment does not say so",
        "mart.new_report: neither shared nor internal (privacy/outputs.py)",
    ]


def test_published_overlap_keeps_k_and_a_small_cell_or_revealing_summary_is_found(wh):
    # 7 persons at moonbay+platform, 2 at lumen+platform (folded with the next smallest pair)
    combos = ["moonbay;platform"] * 7 + ["lumen;platform"] * 2 + ["lumen;moonbay"] * 6
    _publish_overlap(wh, partner_overlap(pd.Series(combos), K))
    assert outputs.mart_violations(wh, K) == []

    leaked = pd.DataFrame(
        {"source_a": ["lumen", "(suppressed)"], "source_b": ["platform", "(suppressed)"],
         "persons": [2, 3], "suppressed_cells": [0, 1]}
    )  # fmt: skip
    _publish_overlap(wh, leaked)
    assert outputs.mart_violations(wh, K) == [
        f"mart.partner_overlap: 1 person count(s) below k={K}",
        f"mart.partner_overlap: suppression summary counts fewer than k={K} persons",
    ]
    single = leaked.assign(persons=[7, 9])  # one folded cell, its count published
    _publish_overlap(wh, single)
    assert outputs.mart_violations(wh, K) == [
        "mart.partner_overlap: suppression summary publishes a single folded cell"
    ]


def test_audience_files_keep_k_and_undeclared_content_is_found():
    recs, persons, segments, catalog = frames()
    cells, summary = audience(recs, persons, segments, set(catalog["content_id"]), "cmp1", K + 1)
    assert summary["suppressed_cells"] > 0  # cells of 5 persons are below k=6: suppressed
    key = "outbound/moonbay/audience/run_date=2026-11-23/"
    for _, part in cells.groupby("segment_id"):
        assert (
            outputs.audience_file_violations(key + "segment=0.csv", part.to_csv(index=False), K)
            == []
        )
    small = cells.assign(audience_persons=2).to_csv(index=False)
    assert outputs.audience_file_violations(key + "segment=0.csv", small, K) == [
        f"{key}segment=0.csv: {len(cells)} person count(s) below k={K}"
    ]
    with_keys = cells.assign(person_key="ab" * 32).to_csv(index=False)
    assert outputs.audience_file_violations(key + "s.csv", with_keys, K) == [
        f"{key}s.csv: columns are not {outputs.AUDIENCE_COLUMNS}"
    ]
    assert outputs.person_key_violations(key + "s.csv", with_keys) == [
        f"{key}s.csv: holds a person_key"
    ]
    total = '{"k": 5, "cells": 3, "suppressed_cells": 1, "suppressed_persons": 3}'
    assert outputs.audience_file_violations(key + "_summary.json", total, K) == [
        f"{key}_summary.json: undeclared summary field(s) ['suppressed_persons']"
    ]


def test_statement_files_hold_only_their_declared_sections():
    header = {c: "1" for c in ("partner_id", "contract_id", "period", "status", "currency")}
    header |= {c: "1.00" for _, c in HEADER_FIGURES}
    body = statement_csv(header, [])
    key = "outbound/moonbay/statements/period=2026-10/k1.csv"
    assert outputs.statement_file_violations(key, body) == []
    buyers = body.replace("Platform share\n", "Platform share,Distinct buyers\n")
    assert outputs.statement_file_violations(key, buyers) == [
        f"{key}: sections are not the declared statement figures and line columns"
    ]


def test_a_campaign_response_count_below_k_is_found(wh):
    columns = wh.columns("mart.fct_campaign_response")
    row = dict.fromkeys(columns) | {
        "date": datetime.date(2026, 11, 23), "campaign_id": "CMP-1", "partner_id": "moonbay",
        "audience_dt": datetime.date(2026, 11, 22), "targeted_persons": 40, "rest_persons": 0,
    }  # fmt: skip
    wh.replace_partition("mart.fct_campaign_response", {"date": row["date"]}, pd.DataFrame([row]))
    assert outputs.mart_violations(wh, K) == []
    wh.execute("UPDATE mart.fct_campaign_response SET targeted_clicked = 2")
    assert outputs.mart_violations(wh, K) == [
        f"mart.fct_campaign_response: 1 person count(s) below k={K}"
    ]
