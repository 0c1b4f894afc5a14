"""Campaign audience files in a real S3 server: a partner's own ids, consenting, ranked."""

import datetime
import hashlib
import io
import json

import pandas as pd
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import read_partition
from alliance_pipeline.marketing import campaign_audience
from alliance_pipeline.privacy import outputs
from alliance_pipeline.privacy.min_cell import min_cell_size
from alliance_pipeline.recommendation.sample import write_clean, write_curated

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

DS = "2026-11-23"
DAY = datetime.date.fromisoformat(DS)
N = 40
KEYS = [hashlib.sha256(f"p{i}".encode()).hexdigest() for i in range(N)]
SEG_A, SEG_B = "SEG-001", "SEG-002"


def consents(i: int) -> bool:
    return i % 5 != 4


def seg(i: int) -> str:
    return SEG_A if i < 20 else SEG_B


def world(root, scores_extra=(), model="logistic_regression"):
    """moonbay knows persons 0-29, tidewave 10-39, the platform everyone; segment A (0-19)
    responds far more to moonbay's campaign than B."""
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["CMP-moonbay-01", "CMP-tidewave-01", "CMP-moonbay-00", "CMP-plat-01"],
            "partner_id": ["moonbay", "tidewave", "moonbay", "platform"],
            "name": "n",
            "start_date": [DAY - datetime.timedelta(days=3)] * 2 + [datetime.date(2026, 1, 1), DAY],
            "end_date": [DAY + datetime.timedelta(days=9)] * 2 + [datetime.date(2026, 2, 1), DAY],
            "objective": ["conversion", "awareness", "conversion", "retention"],
            "currency": "CNY",
            "source": "platform",
            "dt": DAY,
        }
    )
    write_clean(root, "campaigns", campaigns)
    write_curated(
        root,
        paths.PERSONS,
        pd.DataFrame({"person_key": KEYS, "marketing_consent": [consents(i) for i in range(N)]}),
        dt=DS,
    )
    write_curated(
        root,
        paths.PERSON_SEGMENT,
        pd.DataFrame({"person_key": KEYS, "segment_id": [seg(i) for i in range(N)]}),
        run_date=DS,
    )
    write_curated(
        root,
        paths.SEGMENT_PROFILE,
        pd.DataFrame({"segment_id": [SEG_A, SEG_B], "label": ["frequent buyers", "browsers"]}),
        run_date=DS,
    )
    ids = (
        [("moonbay", f"MB{i:04d}", KEYS[i]) for i in range(30)]
        + [("tidewave", f"TW{i:04d}", KEYS[i]) for i in range(10, 40)]
        + [("platform", f"PL{i:04d}", KEYS[i]) for i in range(N)]
    )
    write_curated(
        root,
        paths.PERSON_MAP,
        pd.DataFrame(ids, columns=["source", "source_user_id", "person_key"]).assign(
            identifier="13800000000", full_name="张三"
        ),
        dt=DS,
    )
    rows = (
        [("CMP-moonbay-01", KEYS[i], 0.02, 0.30 - i / 1000 if i < 20 else 0.05) for i in range(30)]
        + [("CMP-tidewave-01", KEYS[i], 0.5 if i >= 20 else 0.01, 0.01) for i in range(10, 40)]
        + [("CMP-plat-01", KEYS[i], 0.1, 0.1) for i in range(N)]
        + list(scores_extra)
    )
    write_curated(
        root,
        paths.PROPENSITY_SCORES,
        pd.DataFrame(rows, columns=["campaign_id", "person_key", "p_click", "p_order"]).assign(
            model=model, model_version=DS
        ),
        dt=DS,
    )


def objects(client, bucket, prefix):
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def test_a_partner_file_holds_its_own_consenting_customers_of_the_target_segments_ranked(
    tmp_path, s3_endpoint, s3_bucket
):
    root = tmp_path / "lake"
    # a tidewave-only person scored for moonbay's campaign must still not reach moonbay's file
    world(root, scores_extra=[("CMP-moonbay-01", KEYS[35], 0.9, 0.9)])
    client = s3_endpoint.client()
    written = campaign_audience.write_campaign_audiences(lambda s: (client, s3_bucket), DS, root)
    assert {(w.source, w.campaign_id) for w in written} == {
        ("moonbay", "CMP-moonbay-01"),
        ("tidewave", "CMP-tidewave-01"),
        ("platform", "CMP-plat-01"),
    }  # the ended campaign gets none

    files = objects(client, s3_bucket, f"outbound/moonbay/campaign_audience/dt={DS}/")
    csv_key = f"outbound/moonbay/campaign_audience/dt={DS}/campaign_id=CMP-moonbay-01/audience.csv"
    table = pd.read_csv(io.BytesIO(files[csv_key]), dtype={"source_user_id": str})
    assert list(table.columns) == campaign_audience.FILE_COLUMNS
    # segment A's mean order rate beats the campaign's: only A, consenting, moonbay's own ids
    expected = [f"MB{i:04d}" for i in range(20) if consents(i)]
    assert table["source_user_id"].tolist() == expected  # ranked by predicted order rate
    assert table["rank"].tolist() == list(range(1, len(expected) + 1))
    assert set(table["segment"]) == {"frequent buyers"}
    assert set(table["predicted_rate"]) == {"20%-50%"}
    body = files[csv_key].decode()
    for leak in [*KEYS, "13800000000", "张三", "TW", "PL"]:
        assert leak not in body

    manifest = json.loads(files[csv_key.replace("audience.csv", "_manifest.json")])
    assert manifest["source"] == "moonbay" and manifest["dataset"] == "campaign_audience"
    assert manifest["files"] == [
        {
            "key": csv_key,
            "rows": len(expected),
            "sha256": hashlib.sha256(files[csv_key]).hexdigest(),
        }
    ]
    summary = json.loads(files[f"outbound/moonbay/campaign_audience/dt={DS}/_summary.json"])
    k = min_cell_size()
    (moonbay,) = summary["campaigns"]
    assert moonbay["ranked_by"] == "order" and moonbay["rows"] == len(expected)
    assert moonbay["scored_by"] == "logistic_regression"
    if len(expected) >= k:
        assert moonbay["segments"] == [{"segment": "frequent buyers", "persons": len(expected)}]
    else:
        assert moonbay["segments"] == [] and moonbay["segments_withheld"] == 1

    tide = pd.read_csv(
        io.BytesIO(
            objects(client, s3_bucket, "outbound/tidewave/")[
                f"outbound/tidewave/campaign_audience/dt={DS}/campaign_id=CMP-tidewave-01/audience.csv"
            ]
        ),
        dtype={"source_user_id": str},
    )  # awareness: ranked by click rate, segment B
    assert set(tide["source_user_id"]) == {f"TW{i:04d}" for i in range(20, 40) if consents(i)}

    assert outputs.outbound_violations(client, s3_bucket, k) == []  # the shared-output walk

    record = read_partition(root, paths.CAMPAIGN_AUDIENCE, dt=DS)
    moon = record[record["campaign_id"] == "CMP-moonbay-01"]
    assert moon["targeted"].sum() == len(expected)
    # the rest: eligible (scored, consenting, segmented) but not targeted
    assert (~moon["targeted"]).sum() == sum(consents(i) for i in range(20, 30)) + 1


def test_a_rerun_replaces_the_nights_files(tmp_path, s3_endpoint, s3_bucket):
    root = tmp_path / "lake"
    world(root)
    client = s3_endpoint.client()
    stale = f"outbound/moonbay/campaign_audience/dt={DS}/campaign_id=CMP-gone/audience.csv"
    client.put_object(Bucket=s3_bucket, Key=stale, Body=b"x")
    first = campaign_audience.write_campaign_audiences(lambda s: (client, s3_bucket), DS, root)
    before = objects(client, s3_bucket, "outbound/")
    again = campaign_audience.write_campaign_audiences(lambda s: (client, s3_bucket), DS, root)
    assert first == again
    assert objects(client, s3_bucket, "outbound/") == before
    assert stale not in before


def test_a_night_scored_by_the_baseline_targets_nobody(tmp_path, s3_endpoint, s3_bucket):
    """Before any model passes the propensity gate the scores are each campaign's own rate:
    they rank no person above another, so no campaign targets anyone (float ties of equal
    scores against their mean must not decide it)."""
    root = tmp_path / "lake"
    world(root, model="baseline")
    client = s3_endpoint.client()
    written = campaign_audience.write_campaign_audiences(lambda s: (client, s3_bucket), DS, root)
    assert {w.rows for w in written} == {0}
    summary = json.loads(
        objects(client, s3_bucket, "outbound/moonbay/")[
            f"outbound/moonbay/campaign_audience/dt={DS}/_summary.json"
        ]
    )
    assert [(c["scored_by"], c["rows"], c["segments"]) for c in summary["campaigns"]] == [
        ("baseline", 0, [])
    ]
    record = read_partition(root, paths.CAMPAIGN_AUDIENCE, dt=DS)
    assert len(record) > 0 and not record["targeted"].any()
