"""README "Run it on your data": a night with nothing but the variables that section names set
(no connections file, no local defaults). A SeaweedFS server and a PostgreSQL database stand in
for the user's S3 landing and warehouse, Spark's local mode for their master."""

import datetime
import json
import os

import pytest

from alliance_pipeline.generator import GeneratorConfig, run_to
from alliance_pipeline.warehouse import open_warehouse
from tests.fixtures.postgres import fresh_database
from tests.integration.dag_runs import night_logical_date, run_dag
from tests.integration.two_nights import postgres_connection

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

NIGHT = datetime.date(2026, 11, 23)
BUCKET = "your-landing"
OURS = ("AIRFLOW_CONN_", "AIRFLOW_VAR_", "ALLIANCE_")
KEPT = {"ALLIANCE_PIPELINE_CONFIG"}  # the suite's smaller segment search (tests/pipeline.yml)


def your_variables(s3_endpoint, pg_url: str, lake) -> dict[str, str]:
    """Exactly the variables of README "Run it on your data"."""
    return {
        "AIRFLOW_CONN_ALLIANCE_S3": json.dumps(
            {
                "conn_type": "aws",
                "login": s3_endpoint.access_key,
                "password": s3_endpoint.secret_key,
                "extra": {"endpoint_url": s3_endpoint.url, "region_name": "us-east-1"},
            }
        ),
        "ALLIANCE_LANDING_BUCKET": BUCKET,
        "AIRFLOW_CONN_ALLIANCE_WAREHOUSE": json.dumps(postgres_connection(pg_url)),
        "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps({"conn_type": "spark", "host": "local[2]"}),
        "AIRFLOW_CONN_ALLIANCE_PSEUDONYM_KEY": json.dumps(
            {
                "conn_type": "generic",
                "password": "your-own-32-byte-or-longer-secret",
                "extra": {"version": "k1"},
            }
        ),
        "ALLIANCE_LAKE_ROOT": str(lake),
    }


@pytest.fixture(scope="module")
def your_night(airflow_db, s3_endpoint, pg_dsn, tmp_path_factory):
    home = tmp_path_factory.mktemp("your-night")
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.startswith(OURS) and n not in KEPT]:
            del os.environ[name]
        with fresh_database(pg_dsn, "alliance_yours") as pg_url:
            os.environ.update(your_variables(s3_endpoint, pg_url, home / "lake"))
            client = s3_endpoint.client()
            client.create_bucket(Bucket=BUCKET)
            cfg = GeneratorConfig(persons=300, days=1, end_date=NIGHT, seed=5)
            run_to(cfg, s3_client=client, bucket=BUCKET)
            states = run_dag(
                "alliance_nightly",
                night_logical_date(NIGHT),
                {"date": NIGHT.isoformat()},
                home / "task-logs.txt",
            )
            wh = open_warehouse(pg_url)
            yield {
                "states": states,
                "runs": wh.query("SELECT dt, state FROM mart.pipeline_run"),
                "orders": wh.query("SELECT count(*) FROM mart.fct_order")[0][0],
                "lake": home / "lake",
            }
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_a_night_runs_on_your_infrastructure_from_the_variables_alone(your_night):
    failed = {k: v for k, v in your_night["states"].items() if v not in ("success", "skipped")}
    assert failed == {}
    assert your_night["runs"] == [(NIGHT, "success")]
    assert your_night["orders"] > 0  # settled into your PostgreSQL warehouse
    assert (your_night["lake"] / "clean").is_dir()  # the lake where ALLIANCE_LAKE_ROOT says
