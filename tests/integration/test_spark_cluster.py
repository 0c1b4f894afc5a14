"""The night's Spark jobs on a real standalone cluster (a master and two workers on loopback),
submitted the way the nightly DAG submits them (SparkSubmitHook, an Airflow connection from
``AIRFLOW_CONN_<ID>``), write the same rows as the same jobs in local mode on a copy of the lake.

The input is a generated two-night sample landed in S3, ingested and validated by the package;
the first night is de-identified once (local mode) so the second has history, then each mode
runs the second night: deidentify, segmentation features, segments, recommendations."""

import datetime as dt
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook

from alliance_pipeline.generator import GeneratorConfig, run_to
from alliance_pipeline.ingestion import ingest_delivery
from alliance_pipeline.nightly import plan_batches, spark_job_args
from alliance_pipeline.privacy.tasks import run_deidentify
from alliance_pipeline.registry import source
from alliance_pipeline.settings import PLATFORM_TIMEZONE, PROJECT_ROOT, SPARK_CONN_ID
from alliance_pipeline.validation import validate_batch
from tests.fixtures.spark_cluster import (
    SHORT_LIVED_JVM_OPTIONS,
    StandaloneCluster,
    standalone_cluster,
)
from tests.lake_rows import parquet_rows, row_differences

pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.cluster]

NIGHTS = (dt.date(2026, 11, 22), dt.date(2026, 11, 23))
NIGHT = NIGHTS[-1].isoformat()
CLUSTER_CONN_ID = "spark_cluster"
# The DAG's Spark tasks after deidentify, in their order; their jobs' application names.
DAG_SPARK_TASKS = ("segmentation_features", "segmentation_segment", "recommend")
APPS = tuple(
    f"alliance-{job}-{NIGHT}"
    for job in ("deidentify", "segmentation-features", "segmentation", "recommend")
)
ZONES = ("clean", "curated", "identity")
SHANGHAI = ZoneInfo(PLATFORM_TIMEZONE)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A master and two workers (1 core, 1 GiB each), starting while the input is prepared."""
    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster"), workers=2) as started:
        yield started


def validated_sample(s3_endpoint) -> None:
    """Two nights of generated drops through S3, ingestion and validation (into the lake of
    ALLIANCE_LAKE_ROOT), reference datasets first as in the DAG."""
    client, bucket = s3_endpoint.client(), "cluster-landing"
    client.create_bucket(Bucket=bucket)
    cfg = GeneratorConfig(
        persons=300,
        days=len(NIGHTS),
        end_date=NIGHTS[-1],
        seed=5,
        events_per_person_day=3.0,  # dense enough for the recommender (the demo's activity)
        orders_per_person_day=3.0 / 20,
    )
    run_to(cfg, s3_client=client, bucket=bucket)
    for night in NIGHTS:
        now = dt.datetime.combine(night + dt.timedelta(days=1), dt.time(2, 30), SHANGHAI)
        plan = plan_batches(night.isoformat())
        for batch in plan["reference"] + plan["facts"]:
            src, name, ds = source(batch["source"]), batch["dataset"], batch["dt"]
            ingest_delivery(client, bucket, src, name, ds)
            validate_batch(src.id, name, ds, "cluster-test", now=now)


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
        hook = SparkSubmitHook(conn_id=conn_id, conf=op.conf, name=op.name, application_args=args)
        hook.submit(op.application)


@pytest.fixture(scope="module")
def lakes(cluster: StandaloneCluster, s3_endpoint, tmp_path_factory):
    """(cluster lake, local-mode lake) after the night, from identical inputs."""
    home = tmp_path_factory.mktemp("cluster-night")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ALLIANCE_LAKE_ROOT", str(home / "input"))
        mp.setenv(f"AIRFLOW_CONN_{CLUSTER_CONN_ID.upper()}", cluster.airflow_connection())
        mp.setenv("SPARK_LOCAL_IP", "127.0.0.1")  # the drivers, as the cluster, on loopback
        mp.setenv("JAVA_TOOL_OPTIONS", SHORT_LIVED_JVM_OPTIONS)  # the drivers' JVMs
        assert SparkSubmitHook.get_connection(SPARK_CONN_ID).host.startswith("local")
        spark_tasks = dag_spark_tasks()
        validated_sample(s3_endpoint)
        run_deidentify(NIGHTS[0].isoformat(), str(home / "input"), SPARK_CONN_ID)
        on_cluster, local = home / "cluster", home / "local"
        shutil.copytree(home / "input", on_cluster)
        shutil.copytree(home / "input", local)
        cluster.wait_for_workers()
        # Both at once: each mode leaves idle time (JVM starts, driver-side planning).
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = [
                pool.submit(run_night, conn_id, lake, spark_tasks)
                for conn_id, lake in ((CLUSTER_CONN_ID, on_cluster), (SPARK_CONN_ID, local))
            ]
            for run in runs:
                run.result()
    return on_cluster, local


def finished_tasks(worker_dir: Path, app_id: str) -> int:
    """Tasks that a worker's executors of one application finished (from the executors' logs)."""
    logs = (worker_dir / app_id).glob("*/stderr")
    return sum(log.read_text(errors="replace").count("Finished task") for log in logs)


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
    assert evaluation.keys() == {"als", "popularity"}
    assert all(r["persons"] > 0 for r in evaluation.values())
    assert parquet_rows(on_cluster / "clean" / "events" / f"dt={NIGHT}")
    for zone in ZONES:
        assert row_differences(on_cluster / zone, local / zone) == [], zone


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
