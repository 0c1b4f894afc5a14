"""
# alliance_nightly

The night's partner data work, for the drops of one Asia/Shanghai day (`dt`):

1. **plan**: every active source and dataset of `config/sources.yml` (or the `sources` param).
2. **reference** then **facts** (mapped per source and dataset): wait for `_manifest.json`,
   ingest into the raw zone (sha256 and rows checked), validate. A bad delivery fails only its
   own mapped task; every other source goes on.
3. **summarise**: writes `mart.pipeline_run` with the sources that passed and failed.

Manual run: trigger with `date` (YYYY-MM-DD) and optionally `sources`. Reruns replace what the
run wrote; nothing appends. Runbook: README.md, section "Operating the nightly run".
"""

import os
from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, PokeReturnValue, dag, task, task_group

from alliance_pipeline import nightly
from alliance_pipeline.dag_policy import Tag, default_args

MANIFEST_TIMEOUT = timedelta(seconds=int(os.environ.get("ALLIANCE_MANIFEST_TIMEOUT_S", "1800")))


@task.sensor(poke_interval=30, timeout=MANIFEST_TIMEOUT, mode="reschedule", retries=0)
def wait_for_manifest(batch: dict) -> PokeReturnValue:
    return PokeReturnValue(is_done=nightly.manifest_arrived(batch))


@task(multiple_outputs=False)
def ingest(batch: dict, run_id: str | None = None) -> dict:
    return nightly.ingest(batch, run_id)


@task_group
def deliveries(batch: dict):
    wait_for_manifest(batch) >> ingest(batch)


@dag(
    dag_id="alliance_nightly",
    schedule=CronDataIntervalTimetable("30 2 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    default_args=default_args(),
    tags=[Tag.NIGHTLY, Tag.INGESTION, Tag.VALIDATION],
    doc_md=__doc__,
    params={
        "date": Param(None, type=["null", "string"], format="date", description="Night to run"),
        "sources": Param([], type="array", description="Only these source ids (empty: all)"),
    },
)
def alliance_nightly():
    @task
    def night(params: dict | None = None, data_interval_start=None) -> str:
        return nightly.night_date(data_interval_start, params)

    @task
    def plan(dt: str, wave: str, params: dict | None = None) -> list[dict]:
        return nightly.plan_batches(dt, params.get("sources") or None)[wave]

    dt = night()
    reference = deliveries.override(group_id="reference").expand(
        batch=plan.override(task_id="plan_reference")(dt, "reference")
    )
    facts = deliveries.override(group_id="facts").expand(
        batch=plan.override(task_id="plan_facts")(dt, "facts")
    )
    reference >> facts


alliance_nightly()
