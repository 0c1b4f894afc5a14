"""GX suite run vs the same checks hand-written in pandas, on the same frame, plus the cost of
one whole ``validate_batch`` on a 40-row delivery.

    .venv/bin/python bench/validation_bench.py --scale 100000

Writes bench/results/validation.json and bench/results/validation.md. Goal: GX <= 1.5x pandas.
The frames are synthetic orders / events with about 1% bad rows, typed by the project's reader
and turned into the view GX checks (``gx_view``); both engines get that same view. The GX
context is created before timing (once per process, as in a task).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from alliance_pipeline.contracts import dataset
from alliance_pipeline.readers import to_contract_types
from alliance_pipeline.validation.gx_run import gx_view, run_suite
from alliance_pipeline.validation.suites import build_suite, expectation_configs

RESULTS = Path(__file__).parent / "results"
PARAMS = {
    "row_count_min": 1,
    "row_count_max": 2**62,
    "window_start": pd.Timestamp("2026-11-19T16:00Z"),
    "window_end": pd.Timestamp("2026-11-23T16:00Z"),
    "now": pd.Timestamp("2026-11-23T16:00Z"),
}


def orders_text(n: int, rng: np.random.Generator) -> pd.DataFrame:
    i = np.arange(n)
    frame = pd.DataFrame(
        {
            "order_id": [f"o{k}" for k in i],
            "source_user_id": [f"u{k % 5000}" for k in i],
            "content_id": [f"c{k % 300}" for k in i],
            "quantity": rng.integers(1, 3, n).astype(str),
            "unit_price": "99.00",
            "amount": "99.00",
            "currency": rng.choice(["CNY", "USD", "JPY"], n, p=[0.98, 0.015, 0.005]),
            "ordered_at": "2026-11-23T09:00:00+08:00",
            "status": "paid",
            "refund_amount": "0.00",
            "refunded_at": None,
            "referral_code": None,
            "campaign_id": None,
            "channel": "app",
            "updated_at": "2026-11-23T10:00:00+08:00",
        }
    )
    frame.loc[rng.choice(n, n // 200, replace=False), "amount"] = "-1.00"
    return frame.astype(object)


def events_text(n: int, rng: np.random.Generator) -> pd.DataFrame:
    i = np.arange(n)
    return pd.DataFrame(
        {
            "event_id": [f"e{k}" for k in i],
            "source_user_id": [f"u{k % 5000}" for k in i],
            "content_id": [f"c{k % 300}" for k in i],
            "event_type": rng.choice(["view", "play", "zap"], n, p=[0.5, 0.49, 0.01]),
            "event_at": "2026-11-23T20:00:00+08:00",
            "duration_s": rng.integers(0, 4000, n).astype(str),
            "progress_pct": rng.uniform(0, 101, n).round(1).astype(str),
            "campaign_id": None,
            "device": "ios",
            "comment": None,
        }
    ).astype(object)


def hand_checks(frame: pd.DataFrame, name: str) -> dict[str, np.ndarray]:
    """The suite's expectations in plain pandas: rule -> offending row positions."""
    out: dict[str, np.ndarray] = {}
    for cfg in expectation_configs(dataset(name)):
        kw, rule = cfg["kwargs"], cfg["meta"]["rule"]
        t = cfg["type"]
        if t == "expect_table_columns_to_match_set":
            assert set(kw["column_set"]) <= set(frame.columns)
            continue
        if t == "expect_table_row_count_to_be_between":
            assert PARAMS["row_count_min"] <= len(frame) <= PARAMS["row_count_max"]
            continue
        if t == "expect_column_values_to_be_unique":
            bad = frame[kw["column"]].duplicated(keep=False)
        elif t == "expect_compound_columns_to_be_unique":
            bad = frame.duplicated(kw["column_list"], keep=False)
        elif t == "expect_column_values_to_not_be_null":
            bad = frame[kw["column"]].isna()
        elif t == "expect_column_values_to_be_in_set":
            col = frame[kw["column"]]
            bad = col.notna() & ~col.isin(kw["value_set"])
        elif t == "expect_column_values_to_be_between":
            col = frame[kw["column"]]
            lo = (
                PARAMS.get(kw["min_value"]["$PARAMETER"])
                if isinstance(kw.get("min_value"), dict)
                else kw.get("min_value")
            )
            hi = (
                PARAMS.get(kw["max_value"]["$PARAMETER"])
                if isinstance(kw.get("max_value"), dict)
                else kw.get("max_value")
            )
            bad = pd.Series(False, index=frame.index)
            present = col.notna()
            if lo is not None:
                bad |= present & (col.where(present) < lo).fillna(False).astype(bool)
            if hi is not None:
                bad |= present & (col.where(present) > hi).fillna(False).astype(bool)
        elif t == "expect_column_values_to_match_regex":
            col = frame[kw["column"]]
            bad = col.notna() & ~col.fillna("").str.match(kw["regex"])
        elif t == "expect_column_pair_values_a_to_be_greater_than_b":
            a, b = frame[kw["column_A"]], frame[kw["column_B"]]
            both = a.notna() & b.notna()
            bad = both & ~(a.where(both) >= b.where(both)).fillna(True).astype(bool)
        else:
            raise NotImplementedError(t)
        out[rule] = np.flatnonzero(bad.to_numpy())
    return out


def batch_seconds(repeat: int) -> dict:
    """One whole validate_batch (read, GX, pandas rules, writes) on a tiny delivery."""
    import os
    import tempfile
    from datetime import UTC, datetime

    from alliance_pipeline.validation import validate_batch

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root
    from tests.fixtures.bad_inputs import cases

    now = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ALLIANCE_LAKE_ROOT"] = tmp
        raw = Path(tmp) / "raw"
        first = None
        for src, name in (("kestrel", "users"), ("platform", "catalog")):
            data = cases.encode(src, cases.users(src) if name == "users" else cases.catalog())
            cases.stage_bytes(raw, src, name, data, cases.N if name == "users" else 10)
            start = time.perf_counter()
            validate_batch(src, name, cases.DT, "bench", now=now)
            first = first or round(time.perf_counter() - start, 4)
        cases.stage_bytes(raw, "kestrel", "orders", cases.csv_bytes(cases.orders("kestrel")), 40)

        def run():
            validate_batch("kestrel", "orders", cases.DT, "bench", now=now)

        return {"first_seconds": first, "warm_seconds": round(timed(run, repeat), 4)}


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20_000, help="rows per dataset")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    batch = batch_seconds(args.repeat)  # first: it times the process's first GX use too
    rng = np.random.default_rng(7)
    figures = {"scale": args.scale, "datasets": {}}
    for name, make in (("orders", orders_text), ("events", events_text)):
        typed, _ = to_contract_types(make(args.scale, rng), dataset(name))
        start = time.perf_counter()
        view = gx_view(typed, dataset(name))
        view_s = time.perf_counter() - start
        suite = build_suite(name)
        gx_rows = {o.rule: o.rows for o in run_suite(view, suite, PARAMS)[0] if o.severity == "row"}
        hand = hand_checks(view, name)
        assert all(np.array_equal(gx_rows[r], hand[r]) for r in hand), "GX and pandas disagree"
        gx_s = timed(lambda s=suite, v=view: run_suite(v, s, PARAMS), args.repeat)
        pd_s = timed(lambda v=view, n=name: hand_checks(v, n), args.repeat)
        figures["datasets"][name] = {
            "expectations": len(suite.expectations),
            "bad_rows": len(set().union(*map(set, hand.values()))),
            "view_seconds": round(view_s, 4),
            "gx_seconds": round(gx_s, 4),
            "pandas_seconds": round(pd_s, 4),
            "gx_rows_per_s": round(args.scale / gx_s),
            "pandas_rows_per_s": round(args.scale / pd_s),
            "gx_over_pandas": round(gx_s / pd_s, 2),
            "goal_met": gx_s / pd_s <= 1.5,
        }
    figures["validate_batch_40_rows"] = batch
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "validation.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    runs = saved.get("runs", {}) | {str(args.scale): figures | {"repeat": args.repeat}}
    path.write_text(json.dumps({"runs": runs}, indent=2, sort_keys=True) + "\n")
    lines = ["# Validation: GX vs the same checks hand-written in pandas", ""]
    for scale in sorted(runs, key=int):
        lines += table(runs[scale], f"After ({int(scale):,} rows, best of {runs[scale]['repeat']})")
    before = RESULTS / "validation_before.json"
    if before.exists():
        for run in json.loads(before.read_text())["runs"]:
            lines += table(run, f"Before: {run['note']}")
    lines += [
        "The goal (GX <= 1.5x pandas) is not met. What is left of GX's time, by cProfile: about",
        "0.3 s per validation pass building the metric graph (pydantic configurations, fixed per",
        "expectation, whatever the row count), and a copy of the whole frame per column",
        "expectation (GX drops null rows by boolean indexing). The pandas baseline before this",
        "change ran on Decimal objects too, so the 'Before' ratios are not comparable; compare",
        "the GX seconds.",
        "",
    ]
    (RESULTS / "validation.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return figures


def table(run: dict, title: str) -> list[str]:
    lines = [
        f"## {title}",
        "",
        "| dataset | expectations | GX s | pandas s | GX rows/s | pandas rows/s | GX/pandas |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in run["datasets"].items():
        lines.append(
            f"| {name} | {f['expectations']} | {f['gx_seconds']} | {f['pandas_seconds']} | "
            f"{f['gx_rows_per_s']} | {f['pandas_rows_per_s']} | {f['gx_over_pandas']} |"
        )
    b = run.get("validate_batch_40_rows")
    if b:
        lines += [
            "",
            f"Whole validate_batch, 40-row kestrel/orders delivery: {b['warm_seconds']} s with "
            f"a warm GX context; a process's first batch (GX import, context): "
            f"{b['first_seconds']} s.",
        ]
    return [*lines, ""]


if __name__ == "__main__":
    main()
