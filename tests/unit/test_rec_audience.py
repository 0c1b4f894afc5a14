"""Partner audience files: consent, the partner's own content and campaigns, minimum cells."""

import datetime

import pandas as pd
import pytest

from alliance_pipeline.recommendation import audience

pytestmark = pytest.mark.unit

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


def test_contracts_and_campaigns_in_force_including_open_ended_ones():
    open_ended = pd.DataFrame(
        {
            "partner_id": ["moonbay", "lumen"],
            "effective_from": [datetime.date(2026, 1, 1), datetime.date(2026, 12, 1)],
            "effective_to": [None, None],  # every contract open-ended: an all-null column
        }
    )
    assert audience.partners_with_contract(open_ended, DS) == ["moonbay"]
    ended = open_ended.assign(effective_to=[datetime.date(2026, 11, 22), None])
    assert audience.partners_with_contract(ended, DS) == []
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["c1", "c2", "c3"],
            "partner_id": ["moonbay", "moonbay", "lumen"],
            "start_date": [
                datetime.date(2026, 11, 1),
                datetime.date(2026, 11, 24),
                datetime.date(2026, 11, 1),
            ],
            "end_date": [None, None, None],
        }
    )
    assert audience.running_campaigns(campaigns, "moonbay", DS) == "c1"
