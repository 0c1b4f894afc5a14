"""
# alliance_nightly

The night's partner data work for the drops of one Asia/Shanghai day (`dt`, the date of the
run's data interval start; a run at 02:30 on the 24th processes the 23rd).

| stage | tasks | writes |
|---|---|---|
| land | `reference.*`, then `facts.*`, mapped per source/dataset: wait for `_manifest.json`, ingest (sha256 and rows checked), validate (Great Expectations) | raw, validated, quarantine zones; `ops.ingestion_log` |
| quality | `publish_quality` | `mart.dq_result`, `mart.quarantine_index`; data docs under `reports/data_docs/dt=…` |
| privacy | `deidentify` (Spark), `publish_identity` | clean zone, `curated/persons`, `mart.partner_overlap` |
| models | `models` (Spark, one application: features, segments, recommendations, propensity) | the curated zone's model outputs |
| segments | `publish_segments` | `mart.dim_segment`, `mart.person_segment`, `reports/segments/…/profile.html` |
| recommendations | `publish_recommendations` (gate: the lists as shipped must beat popularity on NDCG@k), `write_audiences` | `mart.recommendation`, `mart.model_evaluation` (family recommendation), partner audience files |
| propensity | `publish_propensity` (the gate was the job's: a candidate must beat each campaign's rate on ROC AUC, else the last good model scores) | `curated/propensity_scores`, `mart.model_evaluation` (family propensity; view `mart.propensity_evaluation`), `mart.propensity_calibration` |
| money | `settle` | `mart.fct_order`, `mart.fct_settlement_line`, `mart.settlement_statement`, `mart.fct_campaign_daily`, `mart.campaign_growth`, dims |
| marketing | `write_campaign_audiences` (after the propensity scores), `publish_campaign_response` (after `settle`) | partners' campaign audience files, `mart.fct_campaign_response`, response columns of `mart.fct_campaign_daily` |
| experiments | `read_out_experiments` (after settlement and the published lists) | `mart.experiment_readout`, `reports/experiments/experiment_id=…/dt=…/readout.html` |
| summary | `summarise` | `mart.pipeline_run`; fails the run naming the deliveries that did not pass |

A bad delivery fails only its own mapped task: the other sources are published. Every task
rewrites exactly its partition, so a rerun or a backfill replaces and never appends.

**Manual run**: trigger with `date` (YYYY-MM-DD) and optionally `sources` (ids), `dry_run` (land
and validate only: raw/validated/quarantine zones, `ops.ingestion_log`, the quality marts and data
docs; nothing is de-identified, modelled, settled or published further) and `models` (off: skip
segments and recommendations, e.g. for a money-only rerun or backfill of old nights, which must
not replace tonight's recommendations). `max_active_runs` is 1 because the identity map and
segment ids of a night build on the night before.

**Waiting for deliveries**: each `wait_for_manifest` checks every 30 s (in reschedule mode) for
its `_manifest.json` and fails its delivery after 1800 s; the environment variable
`ALLIANCE_MANIFEST_TIMEOUT_S` (seconds, read where the DAG is parsed) changes that timeout.

**Where to look**: failed delivery → its task log (source, dataset, dt and the rule), then
`mart.quarantine_index`; data quality → `mart.dq_result` and the data docs; a late night →
`alliance_night_watch`'s alert at 06:30, then the timed-out run's. Alerts go to
`reports/alerts/alerts.jsonl`, and by mail and Slack when their connections exist (README, Alerts).
"""

import os
from datetime import timedelta

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
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

from alliance_pipeline import assets
from alliance_pipeline.alerts import AllianceAlertNotifier
from alliance_pipeline.dag_policy import Tag, default_args
from alliance_pipeline.settings import JOBS_DIR, SPARK_CONN_ID, lake_root
from alliance_pipeline.spark_session import SUBMIT_CONF
from alliance_pipeline.tasks import nightly

DAG_ID = "alliance_nightly"
BATCH_LABEL = "{{ batch_label }}"
DT = "{{ ti.xcom_pull(task_ids='night') }}"
EXPERIMENTS_DOC = """
A/B readouts of the experiments of `config/experiments.yml` running tonight: per variant and
metric the mean, the lift against the control with its 95% interval, the p-value, CUPED beside
it, the sample-ratio check and the sample size the declared effect needs, from exposed persons
after their first exposure. Writes `mart.experiment_readout` (the night's `dt`, replaced) and one
HTML report per experiment under `reports/experiments/`. Nothing running: an empty partition.
"""
MODELS_DOC = """
Spark, one application for the night's model stages (`jobs/models.py`; one JVM start instead of
four), each its own job in this order:

1. features: each person's behaviour over the look-back window (`jobs/features.py`);
2. segments: k-means, ids kept by matching the night before's (`jobs/segment.py`);
3. recommendations: ALS and their holdout evaluation (`jobs/recommend.py`);
4. propensity: click and order propensity per (person, running campaign), logistic regression
   and gradient-boosted trees trained on a time split, judged against each campaign's rate, the
   last good model kept when none beats it (`jobs/propensity.py`).

The log gives each stage's seconds (`models dt=…: segment 9.3 s`). A retry runs all four again
(each replaces its partitions).
"""
MANIFEST_TIMEOUT = timedelta(seconds=int(os.environ.get("ALLIANCE_MANIFEST_TIMEOUT_S", "1800")))


@task.sensor(
    poke_interval=30,
    timeout=MANIFEST_TIMEOUT,
    mode="reschedule",
    retries=0,
    map_index_template=BATCH_LABEL,
    # Facts wait for the reference wave to finish, not to succeed: one partner's bad users
    # delivery must not hold back the other partners' orders.
    trigger_rule=TriggerRule.ALL_DONE,
)
def wait_for_manifest(batch: dict) -> PokeReturnValue:
    """Waits (rescheduling every 30 s) for the delivery's `_manifest.json` in the landing bucket."""
    get_current_context()["batch_label"] = nightly.batch_label(batch)
    return PokeReturnValue(is_done=nightly.manifest_arrived(batch))


@task(multiple_outputs=False, map_index_template=BATCH_LABEL)
def ingest(batch: dict, run_id: str | None = None) -> dict:
    """Copies the delivery into the raw zone, checking each file's sha256 and row count against the manifest; writes `ops.ingestion_log`."""
    get_current_context()["batch_label"] = nightly.batch_label(batch)
    return nightly.ingest(batch, run_id)


@task(multiple_outputs=False, map_index_template=BATCH_LABEL)
def validate(batch: dict, run_id: str | None = None, data_interval_end=None) -> dict:
    """Runs the dataset's Great Expectations suite and row rules; passing rows to the validated zone, failing ones to quarantine with their rule. Its extra link opens the data docs."""
    get_current_context()["batch_label"] = nightly.batch_label(batch)
    return nightly.validate(batch, run_id, data_interval_end)


@task_group
def deliveries(batch: dict):
    wait_for_manifest(batch) >> ingest(batch) >> validate(batch)


def spark_job(task_id: str, script: str, doc_md: str, **kwargs) -> SparkSubmitOperator:
    return SparkSubmitOperator(
        doc_md=doc_md,
        task_id=task_id,
        application=str(JOBS_DIR / script),
        application_args=nightly.spark_job_args(DT),
        conn_id=SPARK_CONN_ID,
        conf=dict(SUBMIT_CONF),
        name=f"alliance-{task_id}",
        pool="spark",
        **kwargs,
    )


@dag(
    dag_id=DAG_ID,
    schedule=CronDataIntervalTimetable("30 2 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    # The night must be done by 07:30 for BI: alliance_night_watch warns at 06:30, and a run still
    # going after 5 h is failed and alerts. (A DeadlineAlert would be the Airflow 3 way, but on
    # 3.3.2 dag.test() of a DAG with a deadline fails (apache/airflow#73428), so the demo and tests
    # could not run the real DAG. Switch when a release fixes it.)
    dagrun_timeout=timedelta(hours=5),
    on_failure_callback=AllianceAlertNotifier(run_level=True),
    default_args=default_args(),
    user_defined_macros={"lake_root": lambda: str(lake_root())},
    tags=[Tag.NIGHTLY, Tag.INGESTION, Tag.VALIDATION, Tag.PRIVACY, Tag.SPARK, Tag.SETTLEMENT],
    doc_md=__doc__,
    params={
        "date": Param(None, type=["null", "string"], format="date", description="Night to run"),
        "sources": Param([], type="array", description="Only these source ids (empty: all)"),
        "dry_run": Param(False, type="boolean", description="Land and validate only"),
        "models": Param(True, type="boolean", description="Run segments and recommendations"),
    },
)
def alliance_nightly():
    @task
    def night(params: dict | None = None, data_interval_start=None, ti=None) -> str:
        """The night's date (`dt`): the `date` param, else the Asia/Shanghai date of the data interval start."""
        nightly.record_run_start(ti)
        return nightly.night_date(data_interval_start, params)

    @task
    def prepare_warehouse() -> list[str]:
        """Applies the warehouse migrations not applied yet (`migrations/`)."""
        return nightly.prepare_warehouse()

    @task
    def plan(dt: str, wave: str, params: dict | None = None) -> list[dict]:
        """The night's expected deliveries of this wave, from `config/sources.yml` (only `sources` when given)."""
        return nightly.plan_batches(dt, params.get("sources") or None)[wave]

    # A gate that is off skips only the stages after it; summarise (ALL_DONE) still records the night.
    # ALL_DONE: the gate decides even when a delivery failed (the rest is still published).
    @task.short_circuit(ignore_downstream_trigger_rules=False, trigger_rule=TriggerRule.ALL_DONE)
    def unless_dry_run(params: dict | None = None) -> bool:
        """Gate: with `dry_run`, nothing past the quality marts runs."""
        return nightly.stage_wanted("publish", params)

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def if_models(params: dict | None = None) -> bool:
        """Gate: with `models` off, no segments or recommendations (a money-only rerun or backfill)."""
        return nightly.stage_wanted("models", params)

    @task(trigger_rule=TriggerRule.ALL_DONE, outlets=assets.QUALITY_MARTS)
    def publish_quality(dt: str) -> int:
        """Loads the night's validation results into `mart.dq_result` and `mart.quarantine_index`; builds the data docs."""
        return nightly.publish_quality(dt)

    @task(trigger_rule=TriggerRule.ALL_DONE, pool="spark", outlets=assets.CLEAN)
    def deidentify(dt: str) -> None:
        """Spark: pseudonymises the validated zone into the clean zone (`jobs/deidentify.py`); updates the restricted identity map."""
        nightly.deidentify(dt)

    @task(outlets=assets.IDENTITY_MARTS)
    def publish_identity(dt: str) -> int:
        """Loads `mart.partner_overlap` (cells under k suppressed)."""
        return nightly.publish_identity(dt)

    @task(multiple_outputs=False, outlets=assets.SEGMENT_MARTS)
    def publish_segments(dt: str) -> dict:
        """Loads `mart.dim_segment` and `mart.person_segment`; writes the segment profile report."""
        return nightly.publish_segments(dt)

    @task(multiple_outputs=False, outlets=assets.RECOMMENDATION_MARTS)
    def publish_recommendations(dt: str) -> dict:
        """Gate and load: the night's lists reach `mart.recommendation` only if the lists as shipped (`als_shipped`) beat popularity on NDCG@k; `mart.model_evaluation` (its recommendation rows) either way."""
        return nightly.publish_recommendations(dt)

    @task(multiple_outputs=False, outlets=assets.PROPENSITY_MARTS)
    def publish_propensity(dt: str) -> dict:
        """Loads the propensity run's holdout evaluation and gate decision into `mart.model_evaluation` (its propensity rows; view `mart.propensity_evaluation`) and its reliability deciles into `mart.propensity_calibration`."""
        return nightly.publish_propensity(dt)

    @task
    def write_audiences(dt: str) -> list[str]:
        """Writes each partner's audience files to its outbound prefix."""
        return nightly.write_audiences(dt)

    @task
    def write_campaign_audiences(dt: str) -> list[dict]:
        """Writes each campaign's audience file to its partner's outbound prefix: the partner's own consenting customers of the target segments, ranked by predicted response, with a manifest."""
        return nightly.write_campaign_audiences(dt)

    @task(multiple_outputs=False, outlets=assets.CAMPAIGN_RESPONSE_MARTS)
    def publish_campaign_response(dt: str) -> int:
        """Loads `mart.fct_campaign_response` (yesterday's targeted audience against the rest, per campaign) and copies it onto `mart.fct_campaign_daily`."""
        return nightly.publish_campaign_response(dt)

    @task(multiple_outputs=False, pool="settlement", outlets=assets.SETTLEMENT_MARTS)
    def settle(dt: str) -> dict:
        """Settles partner revenue as of the night: order nets, attribution, statements of open periods, adjustments of closed ones; the money marts."""
        return nightly.settle(dt)

    # after settle (the settled nets) and the published lists, which a models-off night skips
    @task(
        multiple_outputs=False,
        trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
        outlets=assets.EXPERIMENT_MARTS,
        doc_md=EXPERIMENTS_DOC,
    )
    def read_out_experiments(dt: str) -> dict:
        return nightly.read_out_experiments(dt)

    @task(multiple_outputs=False, trigger_rule=TriggerRule.ALL_DONE, retries=0)
    def summarise(dt: str, reference: list, facts: list, run_id=None, dag=None, ti=None) -> dict:
        """Records the night in `mart.pipeline_run`; fails the run, naming the deliveries that did not pass."""
        return nightly.summarise(dt, run_id, dag.dag_id, reference + facts, nightly.run_start(ti))

    dt = night()
    warehouse = prepare_warehouse()
    planned_reference = plan.override(task_id="plan_reference")(dt, "reference")
    planned_facts = plan.override(task_id="plan_facts")(dt, "facts")
    reference = deliveries.override(group_id="reference").expand(batch=planned_reference)
    facts = deliveries.override(group_id="facts").expand(batch=planned_facts)
    quality = publish_quality(dt)
    clean = deidentify(dt)
    models = spark_job("models", "models.py", MODELS_DOC)
    published_recs = publish_recommendations(dt)
    money = settle(dt)
    identity = publish_identity(dt)
    published_segments = publish_segments(dt)

    publishing = unless_dry_run()
    modelling = if_models()

    warehouse >> reference >> facts >> [quality, publishing]
    publishing >> clean >> [identity, money, modelling]
    published_propensity = publish_propensity(dt)
    modelling >> models >> [published_segments, published_recs, published_propensity]
    published_recs >> write_audiences(dt)
    campaign_audiences = write_campaign_audiences(dt)
    [models, published_segments] >> campaign_audiences
    response = publish_campaign_response(dt)
    money >> response
    experiments = read_out_experiments(dt)
    [money, published_recs] >> experiments
    [
        quality,
        identity,
        published_segments,
        published_recs,
        published_propensity,
        money,
        experiments,
        campaign_audiences,
        response,
    ] >> summarise(dt, planned_reference, planned_facts)


alliance_nightly()
