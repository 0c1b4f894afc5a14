"""Partner audience files written to each partner's outbound prefix in a real S3 server."""

import datetime
import json

import pandas as pd
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.privacy import outputs
from alliance_pipeline.recommendation import audience
from alliance_pipeline.recommendation.sample import write_clean, write_curated
from tests.unit.test_rec_audience import DS, PERSONS, frames

pytestmark = pytest.mark.integration


def test_write_audiences_to_each_contracted_partners_outbound_prefix(
    tmp_path, s3_endpoint, s3_bucket
):
    recs, persons, segments, catalog = frames()
    root = tmp_path / "lake"
    day = datetime.date.fromisoformat(DS)
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
                "effective_from": [datetime.date(2026, 1, 1), datetime.date(2025, 1, 1)],
                "effective_to": [
                    None,
                    datetime.date(2025, 12, 31),
                ],  # tidewave's contract has ended
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
                "start_date": [
                    datetime.date(2026, 11, 1),
                    datetime.date(2026, 1, 1),
                    datetime.date(2026, 11, 1),
                ],
                "end_date": [
                    datetime.date(2026, 11, 30),
                    datetime.date(2026, 2, 1),
                    datetime.date(2026, 11, 30),
                ],
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

    keys = audience.write_audiences(lambda _partner: (s3, s3_bucket), DS, root, recs, k=5)
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

    # the shared-output walk over every partner's outbound prefix: the real files keep k ...
    assert outputs.outbound_violations(s3, s3_bucket, 5) == []
    # ... and a small cell or a file of no declared kind would be found
    small = body.replace("0,co,5,cmp1", "0,co,2,cmp1").encode()
    s3.put_object(Bucket=s3_bucket, Key=prefix + "segment=0.csv", Body=small)
    s3.put_object(Bucket=s3_bucket, Key="outbound/moonbay/reports/buyers.csv", Body=b"n\n1\n")
    assert outputs.outbound_violations(s3, s3_bucket, 5) == [
        f"{prefix}segment=0.csv: 1 person count(s) below k=5",
        "outbound/moonbay/reports/buyers.csv: an outbound file of no declared kind "
        "(privacy/outputs.py)",
    ]
