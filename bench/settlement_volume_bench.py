"""Settle a growing open period: one night's ``run_settlement`` over 0.1M to 1M open orders, its
time and peak memory beside the DuckDB SQL of settlement_bench on the same clean zone.

    .venv/bin/python bench/settlement_volume_bench.py --orders 100000 300000 1000000

The night bench's settlement at scale 1 holds a million open orders at once (the window is
delivered in 2 nights, before any close); this bench shows how its memory grows with them, apart
from the rest of the night. Setup, not measured: the clean zone of 2 nights written directly (the
tests' ``generate_lake``: every rate and attribution model, twice as many campaign touches as
orders, refunds, chargebacks, re-deliveries, three currencies; then 20 other events per order,
plays and progress without a campaign, as the reference scale's 20M events hold), the night
before settled. Each
measured run is a fresh process (peak RSS sampled every 50 ms, imports included); the baseline
too. Writes bench/results/settlement_volume.json and .md.
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

from settlement_history_bench import _in_fresh_process

from alliance_pipeline.local.airflow_home import QUIET_LOGGERS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
START = datetime.date(2026, 11, 21)
NIGHTS = 2
EVENTS_PER_ORDER = 20  # the reference: 20M events, 1M orders; under 1 in 20 a campaign touch
CHUNK = 2_000_000


def baseline(lake: str, dt: str) -> dict:
    """settlement_bench's DuckDB SQL on the same clean zone, in this (fresh) process."""
    from night_baselines import settlement_sql
    from night_bench import TreeMemory

    memory = TreeMemory(interval=0.05)
    t0 = time.perf_counter()
    settlement_sql(Path(lake), dt)
    return {"seconds": round(time.perf_counter() - t0, 3), "peak_rss_mb": memory.peaks_mb()[0]}


def activity(lake: Path, dt: str, rows: int, seed: int) -> None:
    """``rows`` events of the night that are no campaign touch (plays, progress), as the
    platform delivers them beside the touches: settlement must read past them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from alliance_pipeline.lake import paths
    from alliance_pipeline.lake.arrow_io import clean_schema

    schema = clean_schema("events")
    folder = paths.partition(paths.clean("events"), lake, dt=dt, source="platform")
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    day = np.datetime64(dt, "us")
    for part, first in enumerate(range(0, rows, CHUNK)):
        n = min(CHUNK, rows - first)
        ids = np.arange(first, first + n)
        at = day + rng.integers(0, 86_400_000_000, n).astype("timedelta64[us]")
        columns = {
            "event_id": pa.array(np.char.add(f"a{dt}-", ids.astype(str))),
            "person_key": pa.array(np.char.add("p", rng.integers(0, rows, n).astype(str))),
            "key_version": pa.nulls(n, pa.string()),
            "content_id": pa.array(np.char.add("c", rng.integers(0, 3000, n).astype(str))),
            "event_type": pa.array(rng.choice(["play", "progress", "complete"], n)),
            "event_at": pa.array(at, pa.timestamp("us", tz="UTC")),
            "duration_s": pa.array(rng.integers(1, 3600, n)),
            "progress_pct": pa.array(rng.random(n) * 100),
            "campaign_id": pa.nulls(n, pa.string()),
            "device": pa.array(rng.choice(["ios", "android", "web"], n)),
            "comment": pa.nulls(n, pa.string()),
        }
        table = pa.table(columns, schema=pa.schema([schema.field(c) for c in columns]))
        pq.write_table(table, folder / f"activity-{part:03d}.parquet")


def setup(home: Path, orders: int) -> tuple[Path, str, str]:
    sys.path.insert(0, str(ROOT))  # the tests' clean-zone writer
    from alliance_pipeline.settlement.publish import run_settlement
    from alliance_pipeline.warehouse.connect import open_warehouse
    from tests.unit._settlement_frames import generate_lake

    lake, url = home / "lake", f"duckdb:///{home / 'warehouse.duckdb'}"
    dts = generate_lake(lake, START.isoformat(), NIGHTS, orders // NIGHTS)
    for i, dt in enumerate(dts):
        activity(lake, dt, EVENTS_PER_ORDER * orders // NIGHTS, i)
    wh = open_warehouse(url)
    wh.migrate()
    run_settlement(wh, dts[-2], lake)
    return lake, url, dts[-1]


def run(volumes: list[int]) -> dict:
    out = {
        "nights": NIGHTS,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "volumes": [],
    }
    with tempfile.TemporaryDirectory(prefix="settle-volume-") as tmp:
        for n in volumes:
            lake, url, dt = setup(Path(tmp) / str(n), n)
            night = _in_fresh_process(lake, url, dt, False)
            cmd = [sys.executable, __file__, "--baseline", str(lake), dt]
            out_b = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            base = json.loads(out_b.strip().splitlines()[-1])
            row = {
                "orders": n,
                "night": night,
                "baseline": base,
                "ratio_time": round(night["seconds"] / base["seconds"], 2),
                "kb_per_order": round(
                    (night["peak_rss_mb"] - night["rss_before_mb"]) * 1024 / night["orders_read"], 2
                ),
            }
            out["volumes"].append(row)
            print(f"[settle-volume] {json.dumps(row)}", flush=True)
    return out


def report(r: dict) -> str:
    lines = [
        "# Settle a growing open period",
        "",
        f"One night of `run_settlement` with every order open (one period, {r['nights']} nights "
        f"of deliveries, twice as many campaign touches as orders and {EVENTS_PER_ORDER} "
        f"other events per order), beside settlement_bench's "
        f"DuckDB SQL on the same clean zone, each in a fresh process. {r['machine']}.",
        "",
        "| open orders | night s | peak RSS MB (after imports) | KB per order over imports "
        "| SQL baseline s | baseline peak RSS MB | time ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in r["volumes"]:
        night, base = v["night"], v["baseline"]
        lines.append(
            f"| {v['orders']:,} | {night['seconds']} | {night['peak_rss_mb']} "
            f"({night['rss_before_mb']}) | {v['kb_per_order']} | {base['seconds']} "
            f"| {base['peak_rss_mb']} | {v['ratio_time']} |"
        )
    lines += [
        "",
        "Orders are counted as read (re-deliveries included once per version). The baseline "
        "does less: partner choice, net revenue, fx and contract-period totals in SQL, no "
        "attribution split, rate models, statement lines or marts.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--baseline", nargs=2, metavar=("LAKE", "DT"), help=argparse.SUPPRESS)
    ap.add_argument("--out", default="settlement_volume", help="results file name")
    args = ap.parse_args(argv)
    if args.baseline:
        print(json.dumps(baseline(*args.baseline)))
        return
    os.environ.setdefault("AIRFLOW__LOGGING__NAMESPACE_LEVELS", QUIET_LOGGERS)
    result = run(args.orders)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(report(result))
    print(report(result))


if __name__ == "__main__":
    main()
