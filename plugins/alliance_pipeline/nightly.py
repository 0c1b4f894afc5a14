"""What the nightly DAG's tasks do, as plain functions (the DAG file only wires them).

The night's date ``dt`` is the Asia/Shanghai date of the run's data interval start (or the
``date`` param of a manual run): a run at 02:30 on the 24th processes the drops of the 23rd.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from alliance_pipeline.registry import active_sources, source
from alliance_pipeline.settings import PLATFORM_TIMEZONE, S3_CONN_ID, landing_bucket

log = logging.getLogger(__name__)

# Validation checks facts against reference data (users, catalog, campaigns) of the same night,
# so reference datasets are landed and validated first.
REFERENCE_DATASETS = ("users", "catalog", "campaigns", "contracts", "fx_rates")


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
            wave = "reference" if dataset in REFERENCE_DATASETS else "facts"
            plan[wave].append({"source": src.id, "dataset": dataset, "dt": dt})
    return plan


def s3_client():
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=S3_CONN_ID).get_conn()


def manifest_arrived(batch: dict) -> bool:
    from alliance_pipeline.ingestion import manifest_present

    src = source(batch["source"])
    return manifest_present(s3_client(), landing_bucket(), src, batch["dataset"], batch["dt"])


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
        record = ingest_delivery(
            s3_client(), landing_bucket(), source(batch["source"]), batch["dataset"], batch["dt"]
        )
    except IngestionError as exc:
        record_ingestion(
            wh, failed_record(batch["source"], batch["dataset"], batch["dt"], str(exc)), run_id
        )
        raise
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
