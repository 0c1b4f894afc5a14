"""Each source may land in its own bucket through its own Airflow connection, and each partner
receive its files in its own (config/sources.yml: landing_conn_id, landing_bucket,
outbound_conn_id, outbound_bucket); unset, the pipeline's connection and bucket."""

import datetime
import os

import pytest
import yaml

from alliance_pipeline.airflow_env import airflow_env
from alliance_pipeline.generator import GeneratorConfig, generate, write_landing
from alliance_pipeline.local.s3_server import ensure_bucket
from alliance_pipeline.registry import registry_path, source
from alliance_pipeline.settings import S3_CONN_ID
from alliance_pipeline.tasks import nightly
from alliance_pipeline.tasks.s3 import landing_of, outbound_of
from alliance_pipeline.warehouse import open_warehouse

pytestmark = pytest.mark.integration

NIGHT = "2026-11-23"
OWN = {
    "landing_conn_id": "moonbay_s3",
    "landing_bucket": "moonbay-drop",
    "outbound_conn_id": "moonbay_outbound",
    "outbound_bucket": "moonbay-outbound",
}


@pytest.fixture
def registry(tmp_path, monkeypatch, lake, s3_endpoint, s3_bucket):
    """The registry with moonbay on its own connections and buckets, and the pipeline's
    environment (lake, warehouse, connections) around it."""
    spec = yaml.safe_load(registry_path().read_text(encoding="utf-8"))
    for entry in spec["sources"]:
        if entry["id"] == "moonbay":
            entry.update(OWN)
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("ALLIANCE_SOURCES", str(path))
    monkeypatch.setenv("ALLIANCE_S3_ENDPOINT", s3_endpoint.url)
    monkeypatch.setenv("ALLIANCE_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    for key, value in airflow_env(os.environ).items():
        monkeypatch.setenv(key, value)
    own = os.environ[f"AIRFLOW_CONN_{S3_CONN_ID.upper()}"]  # the same server, another conn id
    monkeypatch.setenv("AIRFLOW_CONN_MOONBAY_S3", own)
    monkeypatch.setenv("AIRFLOW_CONN_MOONBAY_OUTBOUND", own)
    open_warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}").migrate()
    client = s3_endpoint.client()
    for bucket in (OWN["landing_bucket"], OWN["outbound_bucket"]):
        ensure_bucket(client, bucket)
    run = generate(GeneratorConfig(persons=200, days=1, end_date=datetime.date(2026, 11, 23)))
    mine = [d for d in run.deliveries if d.source.id == "moonbay"]
    others = [d for d in run.deliveries if d.source.id != "moonbay"]
    list(write_landing(mine, s3_client=client, bucket=OWN["landing_bucket"]))
    list(write_landing(others, s3_client=client, bucket=s3_bucket))
    return client, s3_bucket


def test_each_source_is_read_from_its_own_landing(registry):
    client, default_bucket = registry
    for source_id in ("moonbay", "platform"):
        batch = {"source": source_id, "dataset": "users", "dt": NIGHT}
        assert nightly.manifest_arrived(batch), source_id
        ingested = nightly.ingest(batch, "run-1")
        assert ingested["status"] == "ingested" and ingested["rows"] > 0, (source_id, ingested)
    assert landing_of(source("moonbay"))[1] == OWN["landing_bucket"]
    assert landing_of(source("platform"))[1] == default_bucket
    in_default = client.list_objects_v2(Bucket=default_bucket, Prefix="partners/moonbay/")
    assert in_default.get("KeyCount", 0) == 0  # moonbay's drop was only in its own bucket


def test_each_partner_is_written_to_its_own_outbound(registry):
    _, default_bucket = registry
    assert outbound_of(source("moonbay"))[1] == OWN["outbound_bucket"]
    assert outbound_of(source("tidewave"))[1] == default_bucket
