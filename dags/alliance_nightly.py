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
from airflow.sdk import (
    CronDataIntervalTimetable,
    Param,
    PokeReturnValue,
    TriggerRule,
    dag,
    get_current_context,
    task,
    task_group,
)

from alliance_pipeline import nightly
from alliance_pipeline.dag_policy import Tag, default_args

BATCH_LABEL = "{{ batch_label }}"
MANIFEST_TIMEOUT = timedelta(seconds=int(os.environ.get("ALLIANCE_MANIFEST_TIMEOUT_S", "1800")))


@task.sensor(
    poke_interval=30,
    timeout=MANIFEST_TIMEOUT,
    mode="reschedule",
    retries=0,
    map_index_template=BATCH_LABEL,
)
def wait_for_manifest(batch: dict) -> PokeReturnValue:
    get_current_context()["batch_label"] = nightly.batch_label(batch)
    return PokeReturnValue(is_done=nightly.manifest_arrived(batch))


@task(multiple_outputs=False, map_index_template=BATCH_LABEL)
def ingest(batch: dict, run_id: str | None = None) -> dict:
    get_current_context()["batch_label"] = nightly.batch_label(batch)
    return nightly.ingest(batch, run_id)


@task(multiple_outputs=False, map_index_template=BATCH_LABEL)
def validate(batch: dict, run_id: str | None = None, data_interval_end=None) -> dict:
    get_current_context()["batch_label"] = nightly.batch_label(batch)
    return nightly.validate(batch, run_id, data_interval_end)


@task_group
def deliveries(batch: dict):
    wait_for_manifest(batch) >> ingest(batch) >> validate(batch)


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

    @task
    def prepare_warehouse() -> list[str]:
        return nightly.prepare_warehouse()

    @task(multiple_outputs=False, trigger_rule=TriggerRule.ALL_DONE)
    def summarise(
        dt: str, reference: list, facts: list, run_id=None, dag=None, dag_run=None
    ) -> dict:
        return nightly.summarise(dt, run_id, dag.dag_id, reference + facts, dag_run.start_date)

    dt = night()
    warehouse = prepare_warehouse()
    planned_reference = plan.override(task_id="plan_reference")(dt, "reference")
    planned_facts = plan.override(task_id="plan_facts")(dt, "facts")
    reference = deliveries.override(group_id="reference").expand(batch=planned_reference)
    facts = deliveries.override(group_id="facts").expand(batch=planned_facts)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def publish_quality(dt: str) -> int:
        return nightly.publish_quality(dt)

    quality = publish_quality(dt)
    warehouse >> reference >> facts >> quality
    quality >> summarise(dt, planned_reference, planned_facts)


alliance_nightly()
