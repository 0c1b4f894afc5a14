"""What the demo prints at the end: where everything is, and what the night produced."""

from __future__ import annotations

from pathlib import Path

from alliance_pipeline.local.outcome import RunResult
from alliance_pipeline.settings import zone
from alliance_pipeline.warehouse import open_warehouse


def print_summary(home: Path, results: list[RunResult]) -> None:
    warehouse = home / "warehouse.duckdb"
    print("\n=== alliance demo: what was produced ===")
    for r in results:
        state = "success" if r.ok else ("failed as planted" if r.planted else "FAILED (see the log)")
        print(f"{r.label}: {state} in {r.seconds:.0f}s   log: {r.log}")
        if r.planted:
            print(f"  {r.planted}")
    print(f"\nwarehouse (DuckDB): {warehouse}")
    wh = open_warehouse(f"duckdb:///{warehouse}")
    tables = wh.query(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('mart', 'ops') ORDER BY 1, 2"
    )
    for schema, table in tables:
        (count,) = wh.query(f"SELECT count(*) FROM {schema}.{table}")[0]
        print(f"  {schema}.{table:<32} {count:>10,} rows")
    names = {f"{s}.{t}" for s, t in tables}
    _print_section(
        wh,
        names,
        "ops.ingestion_log",
        "ingestion failures",
        "SELECT source, dataset, dt, message FROM ops.ingestion_log WHERE status = 'failed' "
        "ORDER BY 1, 2",
    )
    _print_section(
        wh,
        names,
        "mart.quarantine_index",
        "quarantine (batches and rows held back)",
        "SELECT source, dataset, dt, rule, rows, batch_rejected FROM mart.quarantine_index "
        "ORDER BY 1, 2, 4",
    )
    _print_section(
        wh,
        names,
        "mart.pipeline_run",
        "pipeline runs",
        "SELECT dt, state, sources_passed, sources_failed FROM mart.pipeline_run ORDER BY dt",
    )
    _print_section(
        wh,
        names,
        "mart.experiment_readout",
        "experiment readouts (config/experiments.yml; primary metric per night and variant)",
        "SELECT dt, experiment_id, metric, variant, persons, round(mean, 4), round(lift, 4), "
        "round(p_value, 3), verdict FROM mart.experiment_readout WHERE metric_role = 'primary' "
        "ORDER BY dt, experiment_id, variant",
    )
    _print_section(
        wh,
        names,
        "mart.person_segment",
        "segments per night (persons keeping their segment id from the night before)",
        "SELECT b.run_date, count(DISTINCT b.segment_id) AS segments, count(*) AS persons, "
        "round(avg(CASE WHEN a.segment_id = b.segment_id THEN 1.0 "
        "WHEN a.segment_id IS NOT NULL THEN 0.0 END), 3) AS kept_id "
        "FROM mart.person_segment b LEFT JOIN mart.person_segment a "
        "ON a.person_key = b.person_key AND a.run_date = b.run_date - 1 "
        "GROUP BY b.run_date ORDER BY 1",
    )
    _print_section(
        wh,
        names,
        "mart.model_evaluation",
        "model evaluation per night (recommendation: NDCG@k; propensity: ROC AUC per target; "
        "published: the gate passed; chosen: the candidate that scores)",
        "SELECT run_date, family, target, model, round(CASE WHEN family = 'recommendation' "
        "THEN ndcg ELSE roc_auc END, 4) AS score, published, chosen FROM mart.model_evaluation "
        "WHERE model <> 'als_tuning' ORDER BY 1, 2, 3, 4",
    )
    _print_section(
        wh,
        names,
        "mart.fct_campaign_response",
        "campaign response: persons targeted by the night before's audience file vs the rest "
        "(clicked, ordered; NULL below k)",
        "SELECT date, campaign_id, targeted_persons, targeted_clicked, targeted_ordered, "
        "rest_persons, rest_clicked, rest_ordered FROM mart.fct_campaign_response "
        "ORDER BY 1, 2",
    )
    _print_outbound(home / "outbound")
    experiments = zone("reports") / "experiments"
    if experiments.exists():
        print("experiment reports (one per experiment and night):")
        for path in sorted(experiments.rglob("readout.html")):
            print(f"  {path}")
    print(f"\nlake: {zone('raw').parent}  (raw, quarantine, validated, identity: restricted)")
    reports = zone("reports")
    if reports.exists():
        print(f"reports: {reports}")
        for path in sorted(reports.rglob("*")):
            if path.suffix in (".html", ".csv", ".png", ".jsonl") and _is_entry(path):
                print(f"  {path}")
    print(
        '\nQuery the marts: .venv/bin/python -c "import duckdb; '
        f"print(duckdb.connect('{warehouse}', read_only=True).sql('FROM mart.dim_source'))\""
    )


def _print_outbound(outbound: Path) -> None:
    """The files partners received, and the top of one campaign audience file."""
    if not outbound.exists():
        return
    files = sorted(p for p in outbound.rglob("*") if p.is_file())
    print(f"\npartner files (copied out of S3): {outbound}  ({len(files)} files)")
    audiences = [p for p in files if p.name == "audience.csv" and "campaign_audience" in p.parts]
    for path in audiences[:12]:
        rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
        print(f"  {path.relative_to(outbound)}  {rows:,} customers")
    if audiences:
        print(f"first lines of {audiences[0].relative_to(outbound)}:")
        for line in audiences[0].read_text(encoding="utf-8").splitlines()[:4]:
            print(f"  {line}")
    for path in (p for p in files if "statements" in p.parts and p.suffix == ".html"):
        print(f"  {path.relative_to(outbound)}")


def _print_section(wh, names: set[str], table: str, title: str, sql: str) -> None:
    if table not in names:
        return
    rows = wh.query(sql)
    print(f"\n{title}: {len(rows) or 'none'}")
    for row in rows[:40]:
        print("  " + " | ".join("" if v is None else str(v) for v in row))


def _is_entry(path: Path) -> bool:
    """Index pages and files a person opens, not every asset of GX data docs."""
    parts = path.parts
    return "data_docs" not in parts or path.name == "index.html"
