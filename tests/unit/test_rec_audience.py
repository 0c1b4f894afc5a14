"""Partner audience files: consent, the partner's own content and campaigns, minimum cells."""

import datetime as dt
import json

import pandas as pd
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.recommendation import audience
from alliance_pipeline.recommendation.sample import write_clean, write_curated

DS = "2026-11-23"
PERSONS = [f"{i:064x}" for i in range(12)]


def frames():
    recs = pd.DataFrame(
        [(p, "m1") for p in PERSONS]  # moonbay's own content: everyone
        + [(p, "co") for p in PERSONS[:6]]  # platform content co-branded with moonbay: 6 persons
        + [(p, "t1") for p in PERSONS],  # tidewave content: never in moonbay's file
        columns=["person_key", "content_id"],
    )
    persons = pd.DataFrame(
        {"person_key": PERSONS, "marketing_consent": [i != 0 for i in range(12)]}
    )
    segments = pd.DataFrame({"person_key": PERSONS, "segment_id": [0] * 6 + [1] * 6})
    catalog = pd.DataFrame(
        {
            "content_id": ["m1", "co", "t1"],
            "owner_source": ["moonbay", "platform", "tidewave"],
            "co_brand_partners": [None, "moonbay;lumen", None],
        }
    )
    return recs, persons, segments, catalog


def test_audience_counts_consenting_persons_of_the_partners_content_and_suppresses_small_cells():
    recs, persons, segments, catalog = frames()
    content = audience.partner_content(catalog, "moonbay")
    assert content == {"m1", "co"}
    cells, summary = audience.audience(recs, persons, segments, content, "cmp1", k=5)
    got = {(r.segment_id, r.content_id): r.audience_persons for r in cells.itertuples()}
    # segment 0: person 0 has no consent, so m1 and co count 5 each; segment 1 gets no "co"
    assert got == {(0, "m1"): 5, (0, "co"): 5, (1, "m1"): 6}
    assert set(cells.campaign_ids) == {"cmp1"}
    cells, summary = audience.audience(recs, persons, segments, content, "", k=6)
    assert {(r.segment_id, r.content_id) for r in cells.itertuples()} == {(1, "m1")}
    assert summary == {"k": 6, "cells": 1, "suppressed_cells": 2}


@pytest.mark.integration
def test_write_audiences_to_each_contracted_partners_outbound_prefix(
    tmp_path, s3_endpoint, s3_bucket
):
    recs, persons, segments, catalog = frames()
    root = tmp_path / "lake"
    day = dt.date.fromisoformat(DS)
    write_clean(
        root, "catalog", catalog.assign(title="t", category="business", source="platform", dt=day)
    )
    write_clean(
        root,
        "contracts",
        pd.DataFrame(
            {
                "contract_id": ["k1", "k2"],
                "partner_id": ["moonbay", "tidewave"],
                "effective_from": [dt.date(2026, 1, 1), dt.date(2025, 1, 1)],
                "effective_to": [None, dt.date(2025, 12, 31)],  # tidewave's contract has ended
                "source": "platform",
                "dt": day,
            }
        ),
    )
    write_clean(
        root,
        "campaigns",
        pd.DataFrame(
            {
                "campaign_id": ["cmp1", "cmp0", "cmpL"],
                "partner_id": ["moonbay", "moonbay", "lumen"],
                "start_date": [dt.date(2026, 11, 1), dt.date(2026, 1, 1), dt.date(2026, 11, 1)],
                "end_date": [dt.date(2026, 11, 30), dt.date(2026, 2, 1), dt.date(2026, 11, 30)],
                "source": "platform",
                "dt": day,
            }
        ),
    )
    write_curated(root, paths.PERSONS, persons, dt=DS)
    write_curated(root, paths.PERSON_SEGMENT, segments, run_date=DS)
    s3 = s3_endpoint.client()
    prefix = f"outbound/moonbay/audience/run_date={DS}/"
    s3.put_object(Bucket=s3_bucket, Key=prefix + "segment=9.csv", Body=b"stale")

    keys = audience.write_audiences(s3, s3_bucket, DS, root, recs, k=5)
    assert sorted(keys) == [
        prefix + "_summary.json",
        prefix + "segment=0.csv",
        prefix + "segment=1.csv",
    ]
    listed = s3.list_objects_v2(Bucket=s3_bucket, Prefix="outbound/")["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(keys)  # stale file gone, nothing for tidewave
    body = s3.get_object(Bucket=s3_bucket, Key=prefix + "segment=0.csv")["Body"].read().decode()
    assert body.splitlines() == [
        "segment_id,content_id,audience_persons,campaign_ids",
        "0,co,5,cmp1",
        "0,m1,5,cmp1",
    ]
    assert PERSONS[1] not in body
    summary = json.loads(
        s3.get_object(Bucket=s3_bucket, Key=prefix + "_summary.json")["Body"].read()
    )
    assert summary["suppressed_cells"] == 0 and summary["segments"] == 2


def test_contracts_and_campaigns_in_force_including_open_ended_ones():
    open_ended = pd.DataFrame(
        {
            "partner_id": ["moonbay", "lumen"],
            "effective_from": [dt.date(2026, 1, 1), dt.date(2026, 12, 1)],
            "effective_to": [None, None],  # every contract open-ended: an all-null column
        }
    )
    assert audience.partners_with_contract(open_ended, DS) == ["moonbay"]
    ended = open_ended.assign(effective_to=[dt.date(2026, 11, 22), None])
    assert audience.partners_with_contract(ended, DS) == []
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["c1", "c2", "c3"],
            "partner_id": ["moonbay", "moonbay", "lumen"],
            "start_date": [dt.date(2026, 11, 1), dt.date(2026, 11, 24), dt.date(2026, 11, 1)],
            "end_date": [None, None, None],
        }
    )
    assert audience.running_campaigns(campaigns, "moonbay", DS) == "c1"
