"""What the demo prints at the end: where everything is, and what the nights and the close
produced. It prints counts and aggregates only: never a row of an audience file (partner user
ids) nor any other personal value."""

from __future__ import annotations

from pathlib import Path

from alliance_pipeline.local.outcome import RunResult
from alliance_pipeline.settings import PROJECT_ROOT, zone
from alliance_pipeline.warehouse import open_warehouse

DEFAULT_HOME = PROJECT_ROOT / "var" / "demo"


def print_summary(home: Path, results: list[RunResult]) -> None:
    warehouse = home / "warehouse.duckdb"
    print("\n=== alliance demo: what was produced ===")
    for r in results:
        state = (
            "success" if r.ok else ("failed as planted" if r.planted else "FAILED (see the log)")
        )
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
    if {"mart.settlement_statement", "ops.settlement_period"} <= names:
        _print_close(wh, home / "outbound")
    if "mart.fct_settlement_line" in names:
        _print_adjustments(wh)
    if "mart.campaign_growth" in names:
        _print_growth(wh, names)
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
    ui = "make ui" if home == DEFAULT_HOME else f'make ui ARGS="--home {home}"'
    print(
        f"\nBrowse the runs, their task logs and the data-quality pages: {ui}   "
        "(http://127.0.0.1:8080; Ctrl-C stops it)"
    )


def _print_close(wh, outbound: Path) -> None:
    """The latest monthly close: each partner's closed statement and where its files went."""
    closed = wh.query("SELECT period, closed_at FROM ops.settlement_period ORDER BY period")
    if not closed:
        print("\nmonthly close: no period closed")
        return
    period, closed_at = closed[-1]
    periods = [p for p, at in closed if at == closed_at]  # closed by the same close
    earlier = (
        f", and with it the {len(periods) - 1} earlier months still open "
        f"({periods[0]} to {periods[-2]})"
        if len(periods) > 1
        else ""
    )
    print(f"\nmonthly close: {period} closed{earlier}; its statements, never to change:")
    print("  partner | contract | currency | order net | partner share | platform share | lines")
    for row in wh.query(
        "SELECT partner_id, contract_id, currency, order_net_amount, partner_share, "
        "platform_share, line_count FROM mart.settlement_statement "
        "WHERE period = ? AND status = 'closed' ORDER BY partner_id, contract_id",
        [period],
    ):
        partner, contract, currency, net, share, platform, lines = row
        print(f"  {partner} | {contract} | {currency} | {net} | {share} | {platform} | {lines}")
    sent = sorted(outbound.glob(f"*/statements/period={period}/*")) if outbound.exists() else []
    folders = sorted({p.parent for p in sent})
    print(f"  sent to the partners ({len(sent)} files, CSV and HTML), copied out to:")
    for folder in folders:
        names = ", ".join(p.name for p in sorted(folder.iterdir()))
        print(f"    {folder}/  {names}")


def _print_adjustments(wh) -> None:
    """Corrections of closed periods, posted as adjustment lines in the next open one."""
    rows = wh.query(
        "SELECT period, partner_id, adjusts_period, reason_code, order_source, order_id, "
        "campaign_id, net_amount, partner_share, currency FROM mart.fct_settlement_line "
        "WHERE line_type = 'adjustment' ORDER BY period, partner_id, reason_code, order_id"
    )
    print(
        "\nadjustments (a change to a closed period, posted in the next open one): "
        f"{len(rows) or 'none'}"
    )
    for period, partner, adjusts, reason, source, order, campaign, net, share, cur in rows[:40]:
        what = f"order {source}/{order} ({campaign})" if order else "the period's total"
        print(
            f"  {partner}: in {period}, corrects {adjusts}: {reason}: {what}: "
            f"net {net} {cur}, partner share {share} {cur}"
        )


GROWTH_REASONS = {
    "too_few_points": "not fitted: fewer than 4 days of new persons",
    "below_min_cell": "not fitted: fewer than k new persons in total",
    "no_convergence": "not fitted: the least-squares fit did not converge",
    "not_saturating": "not fitted: still accelerating, no saturation in sight yet",
}


def _print_growth(wh, names: set[str]) -> None:
    """One line per campaign: its logistic growth fit, or why it has none."""
    campaigns = (
        [c for (c,) in wh.query("SELECT campaign_id FROM mart.dim_campaign ORDER BY 1")]
        if "mart.dim_campaign" in names
        else []
    )
    fits = {
        r[0]: r[1:]
        for r in wh.query(
            "SELECT campaign_id, days, new_persons_total, saturation_k, growth_rate_r, "
            "midpoint_date, r_squared, fit_status FROM mart.campaign_growth"
        )
    }
    print(
        "\ngrowth of new persons per campaign (logistic K / (1 + exp(-r (t - midpoint))), "
        f"mart.campaign_growth): {len(set(campaigns) | set(fits)) or 'none'}"
    )
    for cid in sorted(set(campaigns) | set(fits)):
        if cid not in fits:
            print(f"  {cid}: not fitted: no new person credited to it yet")
            continue
        days, total, k, r, midpoint, r2, status = fits[cid]
        counted = f"{days} days, {'fewer than k' if total is None else total} new persons"
        if status == "ok":
            fit = f"K {k:.1f}, r {r:.3f}/day, midpoint {midpoint}"
            fit += "" if r2 is None else f", R² {r2:.3f}"
        else:
            fit = GROWTH_REASONS.get(status, f"not fitted: {status}")
        print(f"  {cid}: {counted}: {fit}")


def _print_outbound(outbound: Path) -> None:
    """The files partners received, by kind, and the customers per campaign audience file
    (counts only: the files hold partner user ids, which are never printed)."""
    if not outbound.exists():
        return
    files = sorted(p for p in outbound.rglob("*") if p.is_file())
    print(f"\npartner files (copied out of S3): {outbound}  ({len(files)} files)")
    kinds: dict[tuple[str, str], int] = {}
    for path in files:
        partner, kind = path.relative_to(outbound).parts[:2]
        kinds[partner, kind] = kinds.get((partner, kind), 0) + 1
    for (partner, kind), n in sorted(kinds.items()):
        print(f"  {partner}/{kind}/  {n} files")
    audiences = [p for p in files if p.name == "audience.csv" and "campaign_audience" in p.parts]
    if not audiences:
        return
    print("campaign audience files (customers per file; the files hold partner user ids):")
    by_dt: dict[str, list[tuple[Path, int]]] = {}
    for path in audiences:
        dt = next(part for part in path.parts if part.startswith("dt="))
        rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
        by_dt.setdefault(dt, []).append((path, rows))
    latest = max(by_dt)
    for dt, counted in sorted(by_dt.items()):
        print(f"  {dt}: {len(counted)} files, {sum(n for _, n in counted):,} customers")
    for path, rows in by_dt[latest]:
        print(f"    {path.relative_to(outbound)}  {rows:,} customers")


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
