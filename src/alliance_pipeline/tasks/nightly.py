"""The task callables of alliance_nightly (the DAG file only wires them).

The night's date ``dt`` is the Asia/Shanghai date of the run's data interval start (or the
``date`` param of a manual run): a run at 02:30 on the 24th processes the drops of the 23rd.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from airflow.sdk.exceptions import AirflowFailException

from alliance_pipeline.contracts import dataset as contract
from alliance_pipeline.registry import active_sources, source
from alliance_pipeline.settings import PLATFORM_TIMEZONE
from alliance_pipeline.tasks.s3 import landing_of, outbound_of

log = logging.getLogger(__name__)


def night_date(data_interval_start: datetime, params: dict) -> str:
    if params.get("date"):
        return datetime.strptime(params["date"], "%Y-%m-%d").date().isoformat()
    return data_interval_start.astimezone(ZoneInfo(PLATFORM_TIMEZONE)).date().isoformat()


def plan_batches(dt: str, only_sources: list[str] | None = None) -> dict[str, list[dict]]:
    """Every (source, dataset) delivery expected tonight, split into reference and facts."""
    sources = active_sources()
    if only_sources:
        unknown = set(only_sources) - {s.id for s in sources}
        if unknown:
            raise ValueError(f"unknown or inactive sources in params: {sorted(unknown)}")
        sources = [s for s in sources if s.id in only_sources]
    plan: dict[str, list[dict]] = {"reference": [], "facts": []}
    for src in sources:
        for dataset in src.datasets:
            plan[contract(dataset).wave].append({"source": src.id, "dataset": dataset, "dt": dt})
    return plan


def stage_wanted(stage: str, params: dict) -> bool:
    """Whether a manual run's params leave ``stage`` on: ``publish`` is off in a dry run,
    ``models`` (segments, recommendations) when ``models`` is false."""
    if stage == "publish":
        wanted = not params.get("dry_run")
        reason = "dry run: landed and validated only"
    elif stage == "models":
        wanted = params.get("models", True)
        reason = "models off: segments and recommendations are not run"
    else:
        raise ValueError(f"unknown stage {stage!r}")
    if not wanted:
        log.info("%s; the later stages are skipped", reason)
    return wanted


def batch_label(batch: dict) -> str:
    """How a mapped task of one delivery is named in the Airflow UI: ``source/dataset``."""
    return f"{batch['source']}/{batch['dataset']}"


def manifest_arrived(batch: dict) -> bool:
    from alliance_pipeline.ingestion import manifest_present

    src = source(batch["source"])
    return manifest_present(*landing_of(src), src, batch["dataset"], batch["dt"])


def ingest(batch: dict, run_id: str) -> dict:
    """Ingest one delivery and log it; a failure is logged too, then raised."""
    from alliance_pipeline.ingestion import (
        IngestionError,
        failed_record,
        ingest_delivery,
        record_ingestion,
    )
    from alliance_pipeline.warehouse import warehouse_from_airflow

    wh = warehouse_from_airflow()
    try:
        src = source(batch["source"])
        record = ingest_delivery(*landing_of(src), src, batch["dataset"], batch["dt"])
    except IngestionError as exc:
        record_ingestion(
            wh, failed_record(batch["source"], batch["dataset"], batch["dt"], str(exc)), run_id
        )
        if exc.transient:
            raise  # S3 may answer on a retry
        raise AirflowFailException(str(exc)) from None  # a retry would read the same delivery
    record_ingestion(wh, record, run_id)
    log.info(
        "%s %s dt=%s: %s, %d files, %d rows, %d bytes",
        record.source,
        record.dataset,
        record.dt,
        record.status,
        record.files,
        record.rows,
        record.bytes,
    )
    return {**batch, "status": record.status, "rows": record.rows}


def prepare_warehouse() -> list[str]:
    """Apply pending warehouse migrations and refresh mart.dim_source from the registry."""
    from alliance_pipeline.warehouse import publish_dim_source, warehouse_from_airflow

    wh = warehouse_from_airflow()
    applied = wh.migrate()
    publish_dim_source(wh)
    log.info("warehouse migrations applied this run: %s", applied or "none")
    return applied


def validate(batch: dict, run_id: str, now: datetime) -> dict:
    """Validate one ingested delivery; a rejected batch raises after its quarantine is written."""
    from alliance_pipeline.validation import ValidationFailed, validate_batch

    try:
        result = validate_batch(batch["source"], batch["dataset"], batch["dt"], run_id, now=now)
    except ValidationFailed as exc:
        raise AirflowFailException(str(exc)) from None  # the same data fails the same way
    log.info("%s", result.summary())
    return {**batch, "rows_passed": result.rows_passed, "rows_quarantined": result.rows_quarantined}


def publish_quality(dt: str) -> int:
    """Every validation result of the night (passed or rejected) into mart.dq_result and
    mart.quarantine_index, and the night's GX data docs (reports/data_docs/dt=.../index.html)."""
    from alliance_pipeline.validation import build_data_docs, load_results, publish_dq
    from alliance_pipeline.warehouse import warehouse_from_airflow

    loaded = publish_dq(warehouse_from_airflow(), load_results(dt))
    log.info("data docs of the night: %s", build_data_docs(dt))
    return loaded


RUN_START_KEY = "run_started_at"


def record_run_start(ti) -> None:
    """The run's real start, kept by its first task (``dag.test()`` gives a run the logical date
    as its start date, so the run's own start_date cannot tell)."""
    from datetime import UTC

    ti.xcom_push(key=RUN_START_KEY, value=datetime.now(UTC).isoformat())


def run_start(ti) -> datetime | None:
    value = ti.xcom_pull(task_ids="night", key=RUN_START_KEY)
    return datetime.fromisoformat(value) if value else None


def summarise(dt: str, run_id: str, dag_id: str, planned: list[dict], started_at) -> dict:
    """Record the night in mart.pipeline_run; fail the run, after recording, if any planned
    delivery did not pass (the message names them, so the run's failure says which)."""
    import json
    from datetime import UTC

    import pyarrow as pa

    from alliance_pipeline.validation import load_results
    from alliance_pipeline.warehouse import warehouse_from_airflow

    passed = {(r.source, r.dataset) for r in load_results(dt) if r.run_id and not r.batch_rejected}
    failed = sorted({(b["source"], b["dataset"]) for b in planned} - passed)
    sources = sorted({b["source"] for b in planned})
    sources_failed = sorted({s for s, _ in failed})
    summary = {
        "deliveries_planned": len(planned),
        "deliveries_passed": len(planned) - len(failed),
        "deliveries_failed": [f"{s}/{d}" for s, d in failed],
    }
    row = {
        "run_id": run_id,
        "dag_id": dag_id,
        "dt": datetime.strptime(dt, "%Y-%m-%d").date(),
        "state": "failed" if failed else "success",
        "started_at": started_at,
        "finished_at": datetime.now(UTC),
        "sources_passed": ";".join(s for s in sources if s not in sources_failed),
        "sources_failed": ";".join(sources_failed),
        "summary": json.dumps(summary, sort_keys=True),
    }
    warehouse_from_airflow().replace_partition(
        "mart.pipeline_run", {"dag_id": dag_id, "run_id": run_id}, pa.Table.from_pylist([row])
    )
    log.info("night %s: %s", dt, json.dumps(summary))
    if failed:
        raise RuntimeError(
            f"night {dt}: {len(failed)} of {len(planned)} deliveries did not pass "
            f"({', '.join(summary['deliveries_failed'])}); sources that passed: "
            f"{row['sources_passed'] or 'none'}. See mart.dq_result, mart.quarantine_index "
            "and ops.ingestion_log."
        )
    return summary


def deidentify(dt: str) -> None:
    """spark-submit jobs/deidentify.py for the night; the key travels in the job's env only."""
    from alliance_pipeline.privacy.tasks import run_deidentify
    from alliance_pipeline.settings import lake_root

    run_deidentify(dt, str(lake_root()))


def publish_identity(dt: str) -> int:
    from alliance_pipeline.privacy.publish import publish_identity as publish
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.warehouse import warehouse_from_airflow

    return publish(warehouse_from_airflow(), dt, lake_root())


def publish_segments(dt: str) -> dict:
    from alliance_pipeline.segmentation.publish import publish_segments as publish
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.warehouse import warehouse_from_airflow

    return publish(warehouse_from_airflow(), dt, lake_root())


def publish_recommendations(dt: str) -> dict:
    """Publish the night's lists if the model beat the popularity baseline; otherwise the last
    published set stays current and the task log says why."""
    from alliance_pipeline.recommendation.publish import publish_recommendations as publish
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.warehouse import warehouse_from_airflow

    result = publish(warehouse_from_airflow(), dt, lake_root())
    log.info("recommendations of %s published=%s: %s", dt, result.published, result.reason)
    return {"published": result.published, "reason": result.reason, "rows": result.rows}


def publish_propensity(dt: str) -> dict:
    """Load the propensity run's evaluation and reliability deciles; the gate's decision (which
    model scores curated/propensity_scores) was the Spark job's."""
    from alliance_pipeline.propensity.publish import publish_propensity as publish
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.warehouse import warehouse_from_airflow

    return publish(warehouse_from_airflow(), dt, lake_root())


def write_audiences(dt: str) -> list[str]:
    """De-identified audience files (counts per segment and item) to each partner's outbound prefix."""
    from alliance_pipeline.recommendation.audience import write_audiences as write
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.warehouse import warehouse_from_airflow

    recs = warehouse_from_airflow().query_df(
        "SELECT person_key, content_id FROM mart.recommendation_current"
    )
    return write(outbound_of, dt, lake_root(), recs)


def write_campaign_audiences(dt: str) -> list[dict]:
    """Each source's campaign audience files (its own consenting customers of the campaign's
    target segments, ranked by predicted response) to its outbound prefix."""
    from alliance_pipeline.marketing.campaign_audience import write_campaign_audiences as write
    from alliance_pipeline.settings import lake_root

    return [vars(f) for f in write(outbound_of, dt, lake_root())]


def publish_campaign_response(dt: str) -> int:
    """The night's response of yesterday's campaign audiences against the rest."""
    from alliance_pipeline.marketing.response import publish_campaign_response as publish
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.warehouse import warehouse_from_airflow

    return publish(warehouse_from_airflow(), dt, lake_root())


def settle(dt: str) -> dict:
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.settlement.publish import run_settlement
    from alliance_pipeline.warehouse import warehouse_from_airflow

    return run_settlement(warehouse_from_airflow(), dt, lake_root())


def read_out_experiments(dt: str) -> dict:
    """A/B readouts of the experiments running tonight (config/experiments.yml) into
    mart.experiment_readout and reports/experiments/…/readout.html."""
    from alliance_pipeline.experiments.publish import run_readout
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.warehouse import warehouse_from_airflow

    return run_readout(warehouse_from_airflow(), dt, lake_root())


def spark_job_args(dt_template: str) -> list[str]:
    """The arguments every Spark job of the night takes (rendered by Airflow at run time)."""
    return ["--dt", dt_template, "--lake-root", "{{ lake_root() }}"]
