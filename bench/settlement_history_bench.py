"""Settle with history: one night's settlement, as the nightly task runs it (``run_settlement``),
after 30 and after 365 nights of history at the same nightly volume. A night's cost must be
bounded by what it reads, not by history: target, 365 nights within 20% of 30 nights in time and
in peak memory.

    .venv/bin/python bench/settlement_history_bench.py --orders-per-day 1000

Setup, not measured: the clean zone is written directly (the tests' ``generate_lake``: contracts
of every rate and attribution model, touches, orders in three currencies with refunds and
chargebacks, fx, delivery); then, as the DAGs would have, every month before the measured night's
is settled as of its last night and closed by the monthly close, and the night before is settled
(DuckDB warehouse). The measured night then runs in a fresh process (peak memory: its RSS
sampled every 50 ms, the imports included). Beside it, in another fresh process, the same night computed over the
whole history (what every night read before settlement.window), without writing.
Writes bench/results/settlement_history.json and .md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alliance_pipeline.local.airflow_home import QUIET_LOGGERS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
END = datetime.date(2026, 11, 23)
TARGET = 1.2


def measure(lake: str, url: str, dt: str, whole: bool) -> dict:
    """One night in this (fresh) process: seconds and peak RSS."""
    from night_bench import TreeMemory

    from alliance_pipeline.config import pipeline_config
    from alliance_pipeline.settlement.publish import marts, run_settlement, settlement_as_of
    from alliance_pipeline.warehouse.connect import open_warehouse

    wh = open_warehouse(url)
    memory = TreeMemory(interval=0.05)  # sampled: ru_maxrss would carry the parent's at fork
    before = memory.peaks_mb()[0]
    t0 = time.perf_counter()
    if whole:
        inputs, s, _, closed_lines = settlement_as_of(wh, dt, lake, whole_history=True)
        marts(inputs, s, closed_lines, pipeline_config().privacy.min_cell_size)
        counts = {"orders": len(s.orders), "lines": len(s.lines)}
    else:
        counts = run_settlement(wh, dt, lake)
    seconds = time.perf_counter() - t0
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mb": memory.peaks_mb()[0],
        "rss_before_mb": before,
        "orders_read": counts.get("orders", counts.get("mart.fct_order")),
        "read_from": counts.get("read_from"),
        "lines": counts["lines"],
    }


def _in_fresh_process(lake: Path, url: str, dt: str, whole: bool) -> dict:
    cmd = [sys.executable, __file__, "--measure", str(lake), url, dt]
    out = subprocess.run(
        [*cmd, *(["--whole"] if whole else [])], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(runs: list[dict]) -> dict:
    """The run with the median time, and every run's time."""
    ranked = sorted(runs, key=lambda r: r["seconds"])
    return {**ranked[len(ranked) // 2], "all_seconds": [r["seconds"] for r in runs]}


def setup(home: Path, nights: int, orders_per_day: int) -> tuple[Path, str, dict]:
    """History of ``nights`` nights up to END; earlier months settled and closed."""
    sys.path.insert(0, str(ROOT))  # the tests' clean-zone writer
    from alliance_pipeline.settlement.close import close_period
    from alliance_pipeline.settlement.net import period_of
    from alliance_pipeline.settlement.publish import run_settlement
    from alliance_pipeline.warehouse.connect import open_warehouse
    from tests.unit._settlement_frames import generate_lake

    home.mkdir(parents=True)
    lake = home / "lake"
    url = f"duckdb:///{home / 'warehouse.duckdb'}"
    start = END - datetime.timedelta(days=nights - 1)
    t0 = time.perf_counter()
    dts = generate_lake(lake, start.isoformat(), nights, orders_per_day)
    t1 = time.perf_counter()
    wh = open_warehouse(url)
    wh.migrate()
    by_period: dict[str, list[str]] = {}
    for dt in dts[:-1]:
        by_period.setdefault(period_of(datetime.date.fromisoformat(dt)), []).append(dt)
    current = period_of(END)
    for period in sorted(p for p in by_period if p < current):
        last = by_period[period][-1]
        run_settlement(wh, last, lake)
        close_on = (datetime.date.fromisoformat(last) + datetime.timedelta(days=1)).isoformat()
        close_period(
            wh, period, lake, close_on, datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
        )
    run_settlement(wh, dts[-2], lake)
    t2 = time.perf_counter()
    return lake, url, {"generate_s": round(t1 - t0, 1), "settle_and_close_s": round(t2 - t1, 1)}


def run(histories: list[int], orders_per_day: int, repeat: int) -> dict:
    out = {
        "orders_per_day": orders_per_day,
        "night": END.isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "histories": {},
    }
    with tempfile.TemporaryDirectory(prefix="settle-history-") as tmp:
        built = {n: setup(Path(tmp) / str(n), n, orders_per_day) for n in histories}
        # the histories' runs alternate (the night is idempotent), so that whatever else the
        # machine does falls on both alike
        runs: dict[int, list[dict]] = {n: [] for n in histories}
        for _ in range(repeat):
            for n, (lake, url, _) in built.items():
                runs[n].append(_in_fresh_process(lake, url, END.isoformat(), False))
        for n, (lake, url, spent) in built.items():
            whole = _in_fresh_process(lake, url, END.isoformat(), True)
            out["histories"][n] = {
                "setup": spent,
                "night": _median(runs[n]),
                "whole_history": whole,
            }
            print(f"[settle-history] {n} nights: {json.dumps(out['histories'][n])}")
    short, long = (out["histories"][n]["night"] for n in (min(histories), max(histories)))
    out["ratio_time"] = round(long["seconds"] / short["seconds"], 3)
    out["ratio_memory"] = round(long["peak_rss_mb"] / short["peak_rss_mb"], 3)
    out["target_met"] = out["ratio_time"] <= TARGET and out["ratio_memory"] <= TARGET
    return out


def report(r: dict) -> str:
    hs = sorted(r["histories"], key=int)
    lines = [
        "# Settle with history",
        "",
        f"One night ({r['night']}) of `run_settlement` after {' and '.join(map(str, hs))} nights "
        f"of history, {r['orders_per_day']} orders a day (plus re-deliveries) and twice as many "
        f"campaign touches; every earlier month settled and closed. {r['machine']}.",
        "",
        "| history | night s (median of runs, alternating with the other history's) | peak RSS MB (after imports) | orders read "
        "| read from | whole history s | whole history peak RSS MB | whole history orders |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n in hs:
        h = r["histories"][n]
        night, whole = h["night"], h["whole_history"]
        lines.append(
            f"| {n} nights | {night['seconds']} ({', '.join(map(str, night['all_seconds']))}) "
            f"| {night['peak_rss_mb']} ({night['rss_before_mb']}) | {night['orders_read']} "
            f"| {night['read_from']} | {whole['seconds']} | {whole['peak_rss_mb']} "
            f"| {whole['orders_read']} |"
        )
    lines += [
        "",
        f"Longest over shortest history: time **{r['ratio_time']}x**, peak memory "
        f"**{r['ratio_memory']}x** (target at most {TARGET}x): "
        f"{'met' if r['target_met'] else 'NOT met'}.",
        "",
        "The night reads from the first open day (settlement.window); the whole-history columns "
        "compute the same night over every partition up to it, as every night did before, "
        "without writing. Setup (generate, settle and close every earlier month), not measured: "
        + ", ".join(f"{n} nights {json.dumps(r['histories'][n]['setup'])}" for n in hs)
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders-per-day", type=int, default=1000)
    ap.add_argument("--histories", type=int, nargs="+", default=[30, 365])
    ap.add_argument("--repeat", type=int, default=3, help="measured runs per history (median)")
    ap.add_argument("--measure", nargs=3, metavar=("LAKE", "URL", "DT"), help=argparse.SUPPRESS)
    ap.add_argument("--whole", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure, whole=args.whole)))
        return
    os.environ.setdefault("AIRFLOW__LOGGING__NAMESPACE_LEVELS", QUIET_LOGGERS)
    result = run(args.histories, args.orders_per_day, args.repeat)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "settlement_history.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "settlement_history.md").write_text(report(result))
    print(report(result))


if __name__ == "__main__":
    main()
