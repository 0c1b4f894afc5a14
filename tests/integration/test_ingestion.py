"""Ingestion against a real S3 server (SeaweedFS) with generated partner drops."""

import datetime
import hashlib
import json

import pytest

from alliance_pipeline.generator import GeneratorConfig, generate, write_landing
from alliance_pipeline.ingestion import IngestionError, ingest_delivery, manifest_present
from alliance_pipeline.lake.paths import raw_partition
from alliance_pipeline.registry import active_sources

pytestmark = pytest.mark.integration

NIGHT = "2026-11-23"


def tree_digest(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "_ingestion.json"
    }


@pytest.fixture
def night(s3_endpoint, s3_bucket):
    run = generate(
        GeneratorConfig(persons=300, days=1, end_date=datetime.date(2026, 11, 23), defects=True)
    )
    client = s3_endpoint.client()
    list(write_landing(run.deliveries, s3_client=client, bucket=s3_bucket))
    return client, s3_bucket, run.truth


def ingest_all(client, bucket):
    results, failures = {}, {}
    for src in active_sources():
        for dataset in src.datasets:
            try:
                results[src.id, dataset] = ingest_delivery(client, bucket, src, dataset, NIGHT)
            except IngestionError as exc:
                failures[src.id, dataset] = str(exc)
    return results, failures


def test_a_night_lands_in_the_raw_zone_and_a_rerun_is_identical(lake, night):
    client, bucket, truth = night
    results, failures = ingest_all(client, bucket)

    expected_failures = {
        (d["source"], d["dataset"]): d["kind"]
        for d in truth.defects
        if d["kind"] in ("checksum_mismatch", "truncated_file", "row_count_mismatch")
    }
    assert set(failures) == set(expected_failures)
    for (source, dataset), message in failures.items():
        assert f"source={source}" in message and f"dt={NIGHT}" in message
        assert dataset in message
    assert "checksum mismatch" in " ".join(failures.values())

    for (source, dataset), record in results.items():
        raw = raw_partition(source, dataset, NIGHT)
        manifest = json.loads((raw / "_manifest.json").read_text())
        assert record.status == "ingested"
        assert record.rows == sum(f["rows"] for f in manifest["files"])
        for f in manifest["files"]:
            body = (raw / f["key"].rsplit("/", 1)[-1]).read_bytes()
            assert hashlib.sha256(body).hexdigest() == f["sha256"]
            assert body == client.get_object(Bucket=bucket, Key=f["key"])["Body"].read()
    delivered = {(d["source"], d["dataset"]): d["rows"] for d in truth.deliveries}
    assert {k: r.rows for k, r in results.items()} == {k: delivered[k] for k in results}

    before = {k: tree_digest(raw_partition(*k, NIGHT)) for k in results}
    again, failures_again = ingest_all(client, bucket)
    assert set(failures_again) == set(failures)
    assert {r.status for r in again.values()} == {"unchanged"}
    assert {k: tree_digest(raw_partition(*k, NIGHT)) for k in results} == before


def test_a_corrected_redelivery_replaces_and_keeps_the_earlier_copy(lake, s3_endpoint, s3_bucket):
    client = s3_endpoint.client()
    base = dict(persons=200, days=1, end_date=datetime.date(2026, 11, 23), sources=("platform",))
    first = generate(GeneratorConfig(seed=1, **base))
    fx = [d for d in first.deliveries if d.dataset == "catalog"]
    list(write_landing(fx, s3_client=client, bucket=s3_bucket))
    src = next(s for s in active_sources() if s.id == "platform")
    one = ingest_delivery(client, s3_bucket, src, "catalog", NIGHT)

    corrected = generate(GeneratorConfig(seed=2, **base))
    list(
        write_landing(
            [d for d in corrected.deliveries if d.dataset == "catalog"],
            s3_client=client,
            bucket=s3_bucket,
        )
    )
    two = ingest_delivery(client, s3_bucket, src, "catalog", NIGHT)
    assert two.status == "ingested" and two.delivery_digest != one.delivery_digest
    superseded = raw_partition("platform", "catalog", NIGHT).parent / "_superseded"
    kept = list(superseded.rglob("_manifest.json"))
    assert len(kept) == 1
    assert json.loads(kept[0].read_text())["files"][0]["sha256"] == next(
        iter(one.checksums.values())
    )


def test_missing_drop_is_named(lake, s3_endpoint, s3_bucket):
    client = s3_endpoint.client()
    src = next(s for s in active_sources() if s.id == "lumen")
    assert not manifest_present(client, s3_bucket, src, "orders", NIGHT)
    with pytest.raises(
        IngestionError, match=f"source=lumen dataset=orders dt={NIGHT}: no _manifest"
    ):
        ingest_delivery(client, s3_bucket, src, "orders", NIGHT)
    assert not raw_partition("lumen", "orders", NIGHT).exists()


def put_delivery(client, bucket, src, files: dict[str, bytes], rows: int, upload=True) -> None:
    """Part files under their keys (relative to the partition) and a manifest listing them."""
    listed = []
    for rel, data in files.items():
        key = src.landing_key("orders", NIGHT, rel)
        if upload:
            client.put_object(Bucket=bucket, Key=key, Body=data)
        listed.append({"key": key, "rows": rows, "sha256": hashlib.sha256(data).hexdigest()})
    manifest = {"source": src.id, "dataset": "orders", "dt": NIGHT, "schema_version": 1}
    body = json.dumps({**manifest, "files": listed})
    client.put_object(
        Bucket=bucket, Key=src.landing_key("orders", NIGHT, "_manifest.json"), Body=body
    )


@pytest.mark.parametrize("last", ["..", "."])
def test_a_dot_segment_key_is_an_ingestion_error(lake, s3_endpoint, s3_bucket, last):
    client = s3_endpoint.client()
    src = next(s for s in active_sources() if s.id == "kestrel")
    put_delivery(client, s3_bucket, src, {last: b"order_id\n1\n"}, 1, upload=False)
    with pytest.raises(
        IngestionError, match=f"source=kestrel dataset=orders dt={NIGHT}: .*segment"
    ):
        ingest_delivery(client, s3_bucket, src, "orders", NIGHT)
    assert not raw_partition("kestrel", "orders", NIGHT).exists()


def test_two_keys_of_one_file_name_are_refused_not_one_lost(lake, s3_endpoint, s3_bucket):
    client = s3_endpoint.client()
    src = next(s for s in active_sources() if s.id == "kestrel")
    files = {"a/part-0.csv": b"order_id\n1\n", "b/part-0.csv": b"order_id\n2\n"}
    put_delivery(client, s3_bucket, src, files, 1)
    with pytest.raises(IngestionError, match=r"share the file name 'part-0\.csv'"):
        ingest_delivery(client, s3_bucket, src, "orders", NIGHT)
    assert not raw_partition("kestrel", "orders", NIGHT).exists()


def test_every_s3_client_error_is_an_ingestion_error(lake, s3_endpoint, s3_bucket):
    """A refusal (no such bucket) fails for good; a lost connection may pass on a retry."""
    src = next(s for s in active_sources() if s.id == "kestrel")
    with pytest.raises(IngestionError, match=r"S3 refused .* \(NoSuchBucket\)") as refused:
        ingest_delivery(s3_endpoint.client(), f"{s3_bucket}-absent", src, "orders", NIGHT)
    assert not refused.value.transient

    import boto3
    from botocore.config import Config

    closed = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",  # the discard port: nothing listens
        aws_access_key_id="x",
        aws_secret_access_key="x",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    with pytest.raises(IngestionError, match=r"S3 error on .* \(EndpointConnectionError\)") as lost:
        ingest_delivery(closed, s3_bucket, src, "orders", NIGHT)
    assert lost.value.transient
