"""Two months through Airflow, once: dag.test() of alliance_nightly for the last night of
October and the first night of November, with alliance_monthly_close closing October in between,
against the DuckDB warehouse, on generated deliveries in a real S3 server (SeaweedFS) with Spark
in local mode (tests/integration/two_nights.py). Then, on the lake that run left:

- PostgreSQL: the same runs, only the tasks that write the warehouse (validation and the Spark
  jobs write only the lake: their outputs serve both warehouses). The statements, and every
  other mart table, are the same in both; October's closed statements do not change when
  November's nights run; the BI role of the PostgreSQL warehouse reads the marts and nothing else.
- A Spark standalone cluster (a master and two workers on loopback): the last night's Spark
  jobs, submitted the way the nightly DAG submits them (SparkSubmitHook, an Airflow connection
  from ``AIRFLOW_CONN_<ID>``), on a copy of the lake without the night's Spark outputs (the first
  night stays, so the second has history), write the same rows as local mode did.
"""

from __future__ import annotations

import io
import json
import shutil
import uuid
from decimal import Decimal
from pathlib import Path

import jinja2
import pandas as pd
import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import read_partition
from alliance_pipeline.marketing.campaign_audience import FILE_COLUMNS
from alliance_pipeline.privacy.min_cell import min_cell_size
from alliance_pipeline.privacy.outputs import mart_violations, walk_shared_outputs
from alliance_pipeline.privacy.tasks import run_deidentify
from alliance_pipeline.settings import PROJECT_ROOT, SPARK_CONN_ID
from alliance_pipeline.settlement.frames import LINE_COLUMNS, STATEMENT_COLUMNS
from alliance_pipeline.tasks.nightly import spark_job_args
from tests.fixtures.postgres import admin_connection, fresh_database
from tests.fixtures.spark_cluster import StandaloneCluster, standalone_cluster
from tests.integration.two_nights import (
    BUCKET,
    LAKE_ONLY_TASKS,
    NIGHTS,
    RUN_STAMPS,
    land_and_run_on_duckdb,
    landing_environ,
    period_rows,
    postgres_connection,
    run_nights,
)
from tests.lake_rows import parquet_rows, row_differences

pytestmark = [pytest.mark.e2e, pytest.mark.spark]


@pytest.fixture(scope="module")
def duckdb_nights(airflow_db, s3_endpoint, smtp_sink, tmp_path_factory) -> dict:
    return land_and_run_on_duckdb(s3_endpoint, tmp_path_factory.mktemp("duckdb-nights"), smtp_sink)


def _without(marts: dict, columns: frozenset[str], wh) -> dict:
    out = {}
    for table, rows in marts.items():
        names = sorted(wh.columns(f"mart.{table}"))
        keep = [i for i, n in enumerate(names) if n not in columns]
        out[table] = sorted((tuple(r[i] for i in keep) for r in rows), key=repr)
    return out


@pytest.fixture(scope="module")
def runs(duckdb_nights, s3_endpoint, pg_dsn, tmp_path_factory):
    with landing_environ(s3_endpoint), fresh_database(pg_dsn, "alliance_nights") as pg_url:
        pg_home = tmp_path_factory.mktemp("postgres-nights")
        pg = run_nights(pg_home, pg_url, postgres_connection(pg_url), replay=duckdb_nights)
        yield {"duck": duckdb_nights, "pg": pg, "pg_url": pg_url, "pg_dsn": pg_dsn}


def test_every_night_and_the_close_succeed(runs):
    for side in ("duck", "pg"):
        for run, states in runs[side]["states"].items():
            failed = {k: v for k, v in states.items() if v not in ("success", "skipped")}
            assert failed == {}, (side, run, failed)
    last = runs["duck"]["states"][NIGHTS[-1]]
    assert last["models", -1] == "success"
    assert runs["duck"]["states"][NIGHTS[0]]["models", -1] == "skipped"
    replayed = runs["pg"]["states"][NIGHTS[-1]]
    assert replayed["publish_recommendations", -1] == replayed["settle", -1] == "success"
    assert not {t for t, _ in replayed} & LAKE_ONLY_TASKS
    assert replayed["facts.ingest", 0] == "success"  # ops.ingestion_log in PostgreSQL too


def test_passing_nights_mail_no_alert(duckdb_nights):
    assert duckdb_nights["mails"] == []


def test_statements_identical_in_duckdb_and_postgres(runs):
    duck, pg = runs["duck"], runs["pg"]
    for table in ("settlement_statement", "fct_settlement_line"):
        d = _without({table: duck["marts"][table]}, RUN_STAMPS, duck["wh"])[table]
        p = _without({table: pg["marts"][table]}, RUN_STAMPS, pg["wh"])[table]
        assert d, table
        assert d == p, table
    heads = duck["wh"].query(
        f"SELECT {', '.join(STATEMENT_COLUMNS)} FROM mart.settlement_statement ORDER BY 1, 2, 3"
    )
    hi = STATEMENT_COLUMNS.index
    assert {h[hi("status")] for h in heads if h[hi("period")] == "2026-10"} == {"closed"}
    assert {h[hi("status")] for h in heads if h[hi("period")] == "2026-11"} == {"open"}
    lines = duck["wh"].query(f"SELECT {', '.join(LINE_COLUMNS)} FROM mart.fct_settlement_line")
    li = LINE_COLUMNS.index
    for h in heads:
        mine = [ln for ln in lines if ln[:3] == h[:3]]
        assert sum(ln[li("net_amount")] for ln in mine) == h[hi("net_amount")]
        assert sum(ln[li("partner_share")] for ln in mine) == h[hi("partner_share")]
        assert h[hi("partner_share")] + h[hi("platform_share")] == h[hi("net_amount")]
        assert isinstance(h[hi("net_amount")], Decimal)


def test_closed_october_unchanged_by_november(runs):
    for side in ("duck", "pg"):
        run = runs[side]
        assert run["october_at_close"]["settlement_statement"], side
        assert period_rows(run["marts"], "2026-10") == run["october_at_close"], side


def test_every_mart_identical_in_duckdb_and_postgres(runs):
    duck, pg = runs["duck"], runs["pg"]
    assert set(duck["marts"]) == set(pg["marts"])
    filled = {t for t, rows in duck["marts"].items() if rows}
    for table in ("fct_order", "person_segment", "recommendation", "dq_result", "partner_overlap"):
        assert table in filled, table
    d = _without(duck["marts"], RUN_STAMPS, duck["wh"])
    p = _without(pg["marts"], RUN_STAMPS, pg["wh"])
    assert {t: len(r) for t, r in d.items()} == {t: len(r) for t, r in p.items()}
    for table in sorted(d):
        assert d[table] == p[table], table


def test_every_shared_output_keeps_k_and_internal_marts_say_pseudonymous(runs, s3_endpoint):
    s3 = s3_endpoint.client()
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="outbound/").get("Contents", [])
    kinds = {o["Key"].split("/")[2] for o in listed}
    assert {"audience", "campaign_audience", "statements"} <= kinds  # the walk has files to check
    assert runs["duck"]["marts"]["partner_overlap"]
    assert walk_shared_outputs(runs["duck"]["wh"], s3, BUCKET) == []
    assert mart_violations(runs["pg"]["wh"], min_cell_size()) == []


def test_campaign_audience_files_hold_only_their_partners_consenting_customers(runs, s3_endpoint):
    """Each id in a partner's file is one that partner delivered, of a consenting person. Two
    nights hold no labelled period for the propensity model (label_days 7), so its scores are
    each campaign's rate: the files are written, empty, and say so; the files of a night scored
    by a model are checked in tests/integration/test_campaign_audience.py."""
    lake, night = runs["duck"]["home"] / "lake", NIGHTS[-1].isoformat()
    identity = read_partition(
        lake, paths.PERSON_MAP, ["source", "source_user_id", "person_key"], dt=night
    )
    persons = read_partition(lake, paths.PERSONS, ["person_key", "marketing_consent"], dt=night)
    consenting = set(persons.loc[persons["marketing_consent"], "person_key"])
    s3 = s3_endpoint.client()
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="outbound/").get("Contents", [])
    files = [o["Key"] for o in listed if o["Key"].endswith("/audience.csv")]
    assert files, "no campaign audience file"
    ids = 0
    for key in files:
        partner = key.split("/")[1]
        own = identity[identity["source"] == partner]
        allowed = set(own.loc[own["person_key"].isin(consenting), "source_user_id"])
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        table = pd.read_csv(io.BytesIO(body), dtype={"source_user_id": str})
        assert list(table.columns) == FILE_COLUMNS
        assert set(table["source_user_id"]) <= allowed, key
        assert table["rank"].is_monotonic_increasing  # best first (a person's ids share a rank)
        ids += len(table)
    summaries = [o["Key"] for o in listed if o["Key"].endswith(f"dt={night}/_summary.json")]
    scored_by = {
        c["scored_by"]
        for key in summaries
        for c in json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())["campaigns"]
    }
    assert scored_by == {"baseline"}
    assert ids == 0


def test_bi_role_reads_marts_and_nothing_else(runs):
    import psycopg2

    login = f"bi_{uuid.uuid4().hex[:8]}"
    admin = admin_connection(runs["pg_dsn"])
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {login} LOGIN IN ROLE alliance_bi")
    try:
        bi = psycopg2.connect(
            runs["pg_url"].replace("postgresql://postgres", f"postgresql://{login}", 1)
        )
        bi.autocommit = True
        with bi.cursor() as cur:
            for table in runs["pg"]["marts"]:
                cur.execute(f"SELECT count(*) FROM mart.{table}")
            for table in ("ops.ingestion_log", "ops.settlement_period", "ops.person_key_rekey"):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(f"SELECT 1 FROM {table}")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("DELETE FROM mart.fct_order")
        bi.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP ROLE IF EXISTS {login}")
        admin.close()


# The Spark cluster

NIGHT = NIGHTS[-1].isoformat()
CLUSTER_CONN_ID = "spark_cluster"
# The DAG's Spark tasks after deidentify, in their order; the applications' names. The models
# application runs the stages before propensity here (propensity's output is local mode's).
DAG_SPARK_TASKS = ("models",)
CLUSTER_STAGES = ("--stages", "features,segment,recommend")
APPS = tuple(f"alliance-{job}-{NIGHT}" for job in ("deidentify", "models"))
ZONES = ("clean", "curated", "identity")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A master and two workers (1 core, 1 GiB each), starting while the input is prepared."""
    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster"), workers=2) as started:
        yield started


def without_the_night(lake: Path) -> None:
    """The lake as it was before the night's Spark jobs: their partitions removed, and the
    dataset folders that held nothing else (a job tells a first run by the folder's absence).
    What the settlement task carries and the campaign audiences (not Spark jobs') stay, and so
    does the propensity job's output: the cluster run covers the stages of CLUSTER_STAGES."""
    kept = [
        lake / dataset
        for dataset in (
            paths.SETTLEMENT_FIRST_ORDERS,
            paths.SETTLEMENT_NEW_PERSONS,
            paths.CAMPAIGN_AUDIENCE,
            paths.PROPENSITY_SCORES,
            paths.PROPENSITY_MODEL,
            paths.PROPENSITY_EVALUATION,
            paths.PROPENSITY_CALIBRATION,
        )
    ]
    for zone in ZONES:
        for name in (f"dt={NIGHT}", f"run_date={NIGHT}"):
            for folder in sorted((lake / zone).rglob(name), reverse=True):
                if any(folder.is_relative_to(k) for k in kept):
                    continue
                shutil.rmtree(folder)
                for parent in folder.parents:
                    if parent == lake / zone or any(parent.iterdir()):
                        break
                    parent.rmdir()


def dag_spark_tasks() -> list:
    """The DAG's SparkSubmitOperators after deidentify (application, conf and name to submit)."""
    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags")).dags["alliance_nightly"]
    return [dag.get_task(task_id) for task_id in DAG_SPARK_TASKS]


def run_night(conn_id: str, lake: Path, spark_tasks: list) -> None:
    """The night's Spark jobs as the DAG submits them: deidentify through its task function
    (the pseudonym key in the job's environment), then the DAG's operators' jobs in order."""
    run_deidentify(NIGHT, str(lake), conn_id)
    args = [
        jinja2.Template(arg).render(lake_root=lambda: str(lake)) for arg in spark_job_args(NIGHT)
    ]
    for op in spark_tasks:
        hook = SparkSubmitHook(
            conn_id=conn_id, conf=op.conf, name=op.name, application_args=[*args, *CLUSTER_STAGES]
        )
        hook.submit(op.application)


@pytest.fixture(scope="module")
def lakes(cluster: StandaloneCluster, duckdb_nights, tmp_path_factory):
    """(cluster lake, local-mode lake) after the night, from identical inputs."""
    local = duckdb_nights["home"] / "lake"
    on_cluster = tmp_path_factory.mktemp("cluster-night") / "lake"
    shutil.copytree(local, on_cluster)
    without_the_night(on_cluster)
    assert not (on_cluster / "clean" / "events" / f"dt={NIGHT}").exists()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ALLIANCE_LAKE_ROOT", str(on_cluster))
        mp.setenv(f"AIRFLOW_CONN_{CLUSTER_CONN_ID.upper()}", cluster.airflow_connection())
        mp.setenv("SPARK_LOCAL_IP", "127.0.0.1")  # the driver, as the cluster, on loopback
        assert SparkSubmitHook.get_connection(SPARK_CONN_ID).host.startswith("local")
        cluster.wait_for_workers()
        run_night(CLUSTER_CONN_ID, on_cluster, dag_spark_tasks())
    return on_cluster, local


def finished_tasks(worker_dir: Path, app_id: str) -> int:
    """Tasks that a worker's executors of one application finished (from the executors' logs)."""
    logs = (worker_dir / app_id).glob("*/stderr")
    return sum(log.read_text(errors="replace").count("Finished task") for log in logs)


@pytest.mark.cluster
def test_cluster_writes_the_same_rows_as_local_mode(lakes):
    on_cluster, local = lakes
    rows = parquet_rows(on_cluster / "curated")
    for folder in (
        f"persons/dt={NIGHT}",
        f"person_segment/run_date={NIGHT}",
        f"segment_profile/run_date={NIGHT}",
        f"recommendations/run_date={NIGHT}",
    ):
        assert rows.get(folder), folder
    evaluation = {r["model"]: r for r in rows[f"model_evaluation/run_date={NIGHT}"]}
    judged = ("als_shipped", "als", "popularity")  # and als_tuning on a tuning night
    assert all(evaluation[m]["persons"] > 0 for m in judged)
    assert parquet_rows(on_cluster / "clean" / "events" / f"dt={NIGHT}")
    for zone in ZONES:
        assert row_differences(on_cluster / zone, local / zone) == [], zone


@pytest.mark.cluster
def test_the_cluster_ran_the_jobs_on_both_workers(cluster, lakes):
    status = cluster.status()
    assert status["aliveworkers"] == 2
    finished = {a["name"]: a["id"] for a in status["completedapps"] if a["state"] == "FINISHED"}
    assert set(APPS) <= finished.keys(), sorted(finished)
    tasks = {
        (worker.name, app): finished_tasks(worker, finished[app])
        for worker in cluster.worker_dirs
        for app in APPS
    }
    for app in APPS:
        assert any(tasks[worker.name, app] for worker in cluster.worker_dirs), (app, tasks)
    for worker in cluster.worker_dirs:
        assert any(tasks[worker.name, app] for app in APPS), (worker.name, tasks)
