"""The night's Spark jobs on a real standalone cluster (a master and two workers on loopback),
submitted the way the nightly DAG submits them (SparkSubmitHook, an Airflow connection from
``AIRFLOW_CONN_<ID>``), write the same rows as the same jobs did in local mode.

Local mode is the session's two nights through dag.test() (tests/integration/two_nights.py).
The cluster reruns their last night on a copy of that lake with the night's Spark outputs
removed (the first night stays, so the second has history): deidentify, segmentation features,
segments, recommendations."""

import shutil
from pathlib import Path

import jinja2
import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook

from alliance_pipeline.privacy.tasks import run_deidentify
from alliance_pipeline.settings import PROJECT_ROOT, SPARK_CONN_ID
from alliance_pipeline.tasks.nightly import spark_job_args
from tests.fixtures.spark_cluster import StandaloneCluster, standalone_cluster
from tests.integration.two_nights import NIGHTS
from tests.lake_rows import parquet_rows, row_differences

pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.cluster]

NIGHT = NIGHTS[-1].isoformat()
CLUSTER_CONN_ID = "spark_cluster"
# The DAG's Spark tasks after deidentify, in their order; their jobs' application names.
DAG_SPARK_TASKS = ("segmentation_features", "segmentation_segment", "recommend")
APPS = tuple(
    f"alliance-{job}-{NIGHT}"
    for job in ("deidentify", "segmentation-features", "segmentation", "recommend")
)
ZONES = ("clean", "curated", "identity")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A master and two workers (1 core, 1 GiB each), starting while the input is prepared."""
    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster"), workers=2) as started:
        yield started


def without_the_night(lake: Path) -> None:
    """The lake as it was before the night's Spark jobs: their partitions removed, and the
    dataset folders that held nothing else (a job tells a first run by the folder's absence)."""
    for zone in ZONES:
        for name in (f"dt={NIGHT}", f"run_date={NIGHT}"):
            for folder in sorted((lake / zone).rglob(name), reverse=True):
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
        hook = SparkSubmitHook(conn_id=conn_id, conf=op.conf, name=op.name, application_args=args)
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
