"""The whole night through Airflow itself: dag.test() of alliance_nightly on a generated night
with injected defects, against a real S3 server (SeaweedFS), the DuckDB warehouse and Spark in
local mode; then the same night again, which must change nothing."""

import datetime
import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from alliance_pipeline.airflow_env import airflow_env
from alliance_pipeline.generator import GeneratorConfig, run_to
from tests.integration.dag_runs import mart_rows, night_logical_date, run_dag
from tests.lake_rows import parquet_content

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

NIGHT = datetime.date(2026, 11, 23)
LOGICAL_DATE = night_logical_date(NIGHT)
INGEST_DEFECTS = {"checksum_mismatch", "truncated_file", "row_count_mismatch"}


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "_ingestion.json" and "_superseded" not in p.parts
    }


def marts(path: Path) -> dict[str, list[tuple]]:
    from alliance_pipeline.warehouse import open_warehouse

    return mart_rows(open_warehouse(f"duckdb:///{path}"))


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()


def run_night(log_file: Path) -> dict[tuple[str, int], str]:
    return run_dag("alliance_nightly", LOGICAL_DATE, {"date": NIGHT.isoformat()}, log_file)


@pytest.fixture(scope="module")
def night(airflow_db, s3_endpoint, smtp_sink, tmp_path_factory):
    """Generate the night into S3, run it twice with alert mails to smtp_sink; keep what the
    tests compare."""
    home = tmp_path_factory.mktemp("night")
    bucket = "night-landing"
    overrides = {
        "ALLIANCE_LAKE_ROOT": str(home / "lake"),
        "ALLIANCE_WAREHOUSE_PATH": str(home / "warehouse.duckdb"),
        "ALLIANCE_LANDING_BUCKET": bucket,
        "ALLIANCE_S3_ENDPOINT": s3_endpoint.url,
        "AIRFLOW_CONN_SMTP_ALERTS": smtp_sink.connection(),
    }
    saved = dict(os.environ)
    os.environ.update(overrides)
    os.environ.update(airflow_env(os.environ))
    try:
        client = s3_endpoint.client()
        client.create_bucket(Bucket=bucket)
        landing = home / "landing"
        cfg = GeneratorConfig(persons=800, days=1, end_date=NIGHT, seed=11, defects=True)
        truth = run_to(cfg, s3_client=client, bucket=bucket)
        run_to(cfg, out_dir=landing)  # the same bytes, for the personal-data scan
        smtp_sink.messages.clear()
        states = run_night(home / "task-logs.txt")
        mails = list(smtp_sink.messages)
        warehouse = home / "warehouse.duckdb"
        first = {
            "raw": tree_digest(home / "lake" / "raw"),
            "clean": parquet_content(home / "lake" / "clean"),
            "marts": marts(warehouse),
        }
        states_again = run_night(home / "task-logs.txt")
        yield {
            "home": home,
            "truth": truth,
            "landing": landing,
            "states": states,
            "states_again": states_again,
            "mails": mails,
            "first": first,
            "warehouse": warehouse,
        }
    finally:
        os.environ.clear()
        os.environ.update(saved)


def labels(night, task_id: str) -> dict[str, str]:
    """Mapped delivery task states by ``source/dataset`` (the order of the plan)."""
    from alliance_pipeline.tasks.nightly import plan_batches

    plan = plan_batches(NIGHT.isoformat())
    wave = task_id.split(".")[0]
    return {
        f"{b['source']}/{b['dataset']}": night["states"][task_id, i]
        for i, b in enumerate(plan[wave])
    }


def test_bad_deliveries_fail_alone_and_the_rest_publishes(night):
    defects = {(d["source"], d["dataset"]): d["kind"] for d in night["truth"].defects}
    batch = {f"{s}/{d}": k for (s, d), k in defects.items() if k in INGEST_DEFECTS}
    rejected = {f"{s}/{d}" for (s, d), k in defects.items() if k == "missing_required_column"}
    assert batch and rejected
    ingest = {**labels(night, "reference.ingest"), **labels(night, "facts.ingest")}
    validate = {**labels(night, "reference.validate"), **labels(night, "facts.validate")}
    assert {k for k, v in ingest.items() if v == "failed"} == set(batch)
    assert rejected <= {k for k, v in validate.items() if v == "failed"}
    passed = {k for k, v in validate.items() if v == "success"}
    own_defect = {f"{s}/{d}" for s, d in defects}
    users_passed = {k.split("/")[0] for k in passed if k.endswith("/users")}
    needs_users = ("events", "orders")
    should_pass = {
        k
        for k in ingest
        if k not in own_defect
        and (k.split("/")[1] not in needs_users or k.split("/")[0] in users_passed)
    }
    assert should_pass <= passed, should_pass - passed
    rejected_in_index = {
        f"{s}/{d}"
        for s, d in query(
            night["warehouse"],
            "SELECT DISTINCT source, dataset FROM mart.quarantine_index WHERE batch_rejected",
        )
    }
    assert {k for k, v in validate.items() if v == "failed"} <= rejected_in_index
    for task in ("deidentify", "publish_identity", "settle", "publish_segments", "models"):
        assert night["states"][task, -1] == "success", task
    assert night["states"]["summarise", -1] == "failed"
    (state, failed) = query(
        night["warehouse"], "SELECT state, sources_failed FROM mart.pipeline_run LIMIT 1"
    )[0]
    assert state == "failed"
    # A few bad rows are quarantined without failing their batch (validation.min_bad_rows).
    batch_level = {
        s for (s, _), k in defects.items() if k in INGEST_DEFECTS | {"missing_required_column"}
    }
    assert batch_level <= set(failed.split(";")) | {"platform"}
    assert night["states"]["unless_dry_run", -1] == "success"


def test_raw_zone_and_ingestion_log(night):
    log = query(
        night["warehouse"],
        "SELECT source, dataset, status, rows, message FROM ops.ingestion_log "
        f"WHERE dt = DATE '{NIGHT}'",
    )
    failed = {(s, d): m for s, d, st, _, m in log if st == "failed"}
    defects = {
        (d["source"], d["dataset"]) for d in night["truth"].defects if d["kind"] in INGEST_DEFECTS
    }
    assert set(failed) == defects
    for (source, dataset), message in failed.items():
        assert f"source={source} dataset={dataset} dt={NIGHT}" in message
    delivered = {(d["source"], d["dataset"]): d["rows"] for d in night["truth"].deliveries}
    for source, dataset, status, rows, _ in log:
        if status != "failed":
            assert rows == delivered[source, dataset]
            raw = night["home"] / "lake" / "raw" / source / dataset / f"dt={NIGHT}"
            assert (raw / "_manifest.json").exists()


def test_row_defects_are_quarantined_with_their_rule(night):
    index = query(
        night["warehouse"],
        "SELECT source, dataset, rule, rows, batch_rejected FROM mart.quarantine_index",
    )
    assert index
    by_batch = {(s, d) for s, d, _, _, _ in index}
    row_defects = {
        (d["source"], d["dataset"]) for d in night["truth"].defects if d.get("level") == "row"
    }
    assert row_defects <= by_batch
    counts = query(
        night["warehouse"],
        "SELECT count(*) FROM mart.dq_result WHERE NOT passed AND rows_affected > 0",
    )[0][0]
    assert counts > 0


def test_marts_are_published(night):
    rows = {t: len(r) for t, r in night["first"]["marts"].items()}
    for table in ("dim_source", "partner_overlap", "fct_order", "dim_content", "model_evaluation"):
        assert rows.get(table, 0) > 0, (table, rows)
    assert rows["dim_source"] == 6


def test_the_run_record_holds_the_real_start(night):
    [(started, finished)] = query(
        night["warehouse"],
        f"SELECT started_at, finished_at FROM mart.pipeline_run WHERE dt = DATE '{NIGHT}' "
        "ORDER BY finished_at DESC LIMIT 1",
    )
    # dag.test() dates a run's start at its logical date; the record keeps when it really began
    assert started.astimezone(datetime.UTC) > LOGICAL_DATE + datetime.timedelta(days=1)
    assert datetime.timedelta(0) < finished - started < datetime.timedelta(hours=1)


DELIVERY_TASKS = ("reference.ingest", "facts.ingest", "reference.validate", "facts.validate")


def test_each_failed_delivery_mails_its_partner_once(night):
    from alliance_pipeline.config import pipeline_config
    from alliance_pipeline.registry import source

    on_call = pipeline_config().alerts.on_call
    failed = [
        (t, label) for t in DELIVERY_TASKS for label, s in labels(night, t).items() if s == "failed"
    ]
    assert failed
    for task_id, label in failed:
        subject = f"[alliance] task failed: alliance_nightly.{task_id} {label} dt={NIGHT}"
        mails = [m for m in night["mails"] if m.subject == subject]
        assert len(mails) == 1, (subject, [m.subject for m in night["mails"]])
        [mail] = mails
        assert sorted(mail.to) == sorted([source(label.split("/")[0]).alert_contact, on_call])
    delivery_mails = [m for m in night["mails"] if any(t in m.subject for t in DELIVERY_TASKS)]
    assert len(delivery_mails) == len(failed)
    # and the night's own failure (summarise names the failed deliveries) to on-call only
    summaries = [m for m in night["mails"] if ".summarise " in m.subject]
    assert len(summaries) == 1, [m.subject for m in night["mails"]]
    [summary] = summaries
    assert summary.to == [on_call]


def test_no_personal_data_past_the_raw_zone(night):
    from alliance_pipeline.privacy.pii_scan import collect_pii, scan_file, scan_tree, scan_warehouse
    from alliance_pipeline.warehouse import open_warehouse

    needles = collect_pii(night["landing"])
    lake = night["home"] / "lake"
    logs = [night["home"] / "task-logs.txt", night["home"] / "task-logs.logging.txt"]
    assert sum(p.stat().st_size for p in logs) > 100_000  # the task logs were captured
    assert scan_tree(needles, lake / "raw"), "the scanner must see the identifiers in raw"
    findings = scan_tree(needles, lake / "clean", lake / "curated", lake / "reports")
    findings += scan_file(logs[0], needles) + scan_file(logs[1], needles)
    mails = night["home"] / "mails.txt"
    mails.write_text("\n\n".join(f"{m.subject}\n{m.body}" for m in night["mails"]))
    findings += scan_file(mails, needles)
    findings += scan_warehouse(needles, open_warehouse(f"duckdb:///{night['warehouse']}"))
    assert findings == []


def test_rerun_changes_nothing(night):
    assert night["states_again"] == night["states"]
    lake = night["home"] / "lake"
    assert tree_digest(lake / "raw") == night["first"]["raw"]
    assert parquet_content(lake / "clean") == night["first"]["clean"]
    assert marts(night["warehouse"]) == night["first"]["marts"]
    statuses = query(
        night["warehouse"],
        f"SELECT DISTINCT status FROM ops.ingestion_log WHERE dt = DATE '{NIGHT}'",
    )
    assert {s for (s,) in statuses} <= {"unchanged", "failed"}


def test_the_failed_night_raised_an_alert(night):
    import json

    path = night["home"] / "lake" / "reports" / "alerts" / "alerts.jsonl"
    alerts = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    # The DAG's failure callback: its error is the reason the run failed.
    run_level = [a for a in alerts if a["error"] == "task_failure"]
    assert run_level and all(a["dag_id"] == "alliance_nightly" for a in run_level)
    failed_tasks = {a["task_id"] for a in alerts if a["task_id"]}
    assert "summarise" in failed_tasks
