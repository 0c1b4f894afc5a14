"""Whole ``validate_batch`` on a large synthetic orders delivery vs the same checks in DuckDB SQL.

    .venv/bin/python bench/validation_scale_bench.py --rows 1000000 5000000 --label after

One kestrel orders delivery (CSV, UTF-8) of N rows with about 1.1% bad rows (negative amounts,
unknown currencies, duplicated order ids, unknown buyers), beside 5,000 users and 10 catalog
items validated first as its references. Each measurement runs in a child process started for
it, sampled by this one with psutil every 0.05 s: wall seconds of the validation alone, rows/s,
peak RSS of the child and its RSS just before (imports, GX context, references). The baseline
is the contract's checks written as DuckDB SQL over the same file (read_csv as text, TRY_CAST,
window functions for the key, anti-joins against the validated references), writing passed and
quarantined rows to Parquet as the gate does.

Writes bench/results/validation_scale.json and .md; each run keeps the other labels' figures
(``--label before`` was measured on commit 1049baa, with this script).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

RESULTS = Path(__file__).parent / "results"
WORK = Path(os.environ.get("VALIDATION_SCALE_DIR", "/tmp/validation_scale"))
SOURCE, DT = "kestrel", "2026-11-23"
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
USERS, CONTENT = 5000, 10
WRITE_CHUNK = 500_000
MB = 1024 * 1024


def order_rows(start: int, stop: int) -> pd.DataFrame:
    i = np.arange(start, stop)
    minute = (i % 1440).astype(str)
    frame = pd.DataFrame(
        {
            "order_id": np.char.add("kestrel-o", i.astype(str)),
            "source_user_id": np.char.add("kestrel-u", np.char.zfill((i % USERS).astype(str), 5)),
            "content_id": np.char.add("c", np.char.zfill((i % CONTENT).astype(str), 2)),
            "quantity": "1",
            "unit_price": "99.00",
            "amount": "99.00",
            "currency": "CNY",
            "ordered_at": pd.Timestamp(f"{DT}T00:00:00+08:00")
            + pd.to_timedelta(minute.astype(int), unit="min"),
            "status": "paid",
            "refund_amount": "0.00",
            "refunded_at": "",
            "referral_code": "",
            "campaign_id": "",
            "channel": "app",
        }
    )
    frame["ordered_at"] = frame["ordered_at"].dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    frame["updated_at"] = frame["ordered_at"]
    frame.loc[i % 200 == 0, "amount"] = "-1.00"
    frame.loc[i % 333 == 1, "currency"] = "XXX"
    dup = i % 1000 == 2
    frame.loc[dup, "order_id"] = np.char.add("kestrel-o", (i[dup] - 1).astype(str))
    frame.loc[i % 500 == 3, "source_user_id"] = "kestrel-u99999"
    return frame


def user_rows() -> list[dict]:
    return [
        {
            "source_user_id": f"kestrel-u{i:05d}",
            "full_name": f"张{i}",
            "mobile": f"138{i:08d}",
            "email": f"u{i}@example.com",
            "id_card_no": "",
            "birth_date": "1985-01-15",
            "gender": "FMU"[i % 3],
            "city": "深圳",
            "registered_at": "2025-01-02T03:04:05+08:00",
            "membership_tier": "free",
            "marketing_consent": "true",
            "updated_at": f"{DT}T08:00:00+08:00",
        }
        for i in range(USERS)
    ]


def catalog_rows() -> list[dict]:
    return [
        {
            "content_id": f"c{i:02d}",
            "title": f"课程{i}",
            "owner_source": "platform",
            "co_brand_partners": "",
            "category": "business",
            "list_price": "99.00",
            "currency": "CNY",
            "launched_at": "2025-06-01T00:00:00+08:00",
        }
        for i in range(CONTENT)
    ]


def write_delivery(raw: Path, source_id: str, dataset: str, chunks) -> None:
    """Part file written chunk by chunk, then its manifest (sha256 and rows as ingestion does)."""
    from alliance_pipeline.manifest import MANIFEST_NAME, Manifest, ManifestFile
    from alliance_pipeline.registry import source

    folder = raw / source_id / dataset / f"dt={DT}"
    folder.mkdir(parents=True, exist_ok=True)
    rows, digest = 0, hashlib.sha256()
    with open(folder / "part-00000.csv", "w", encoding="utf-8", newline="") as out:
        for n, frame in enumerate(chunks):
            text = frame.to_csv(index=False, header=n == 0, quoting=csv.QUOTE_MINIMAL)
            out.write(text)
            digest.update(text.encode("utf-8"))
            rows += len(frame)
    key = source(source_id).landing_key(dataset, DT, "part-00000.csv")
    manifest = Manifest(source_id, dataset, DT, 1, (ManifestFile(key, rows, digest.hexdigest()),))
    (folder / MANIFEST_NAME).write_text(manifest.to_json())


def prepare(rows: int) -> Path:
    """The lake of one scale (generated once, reused by every label)."""
    lake = WORK / str(rows) / "lake"
    if (lake / "raw" / SOURCE / "orders" / f"dt={DT}" / "_manifest.json").exists():
        return lake
    raw = lake / "raw"
    write_delivery(raw, SOURCE, "users", [pd.DataFrame(user_rows())])
    write_delivery(raw, "platform", "catalog", [pd.DataFrame(catalog_rows())])
    chunks = (order_rows(s, min(s + WRITE_CHUNK, rows)) for s in range(0, rows, WRITE_CHUNK))
    write_delivery(raw, SOURCE, "orders", chunks)
    return lake


# --- the children -------------------------------------------------------------------------


def child_validate(lake: Path) -> dict:
    os.environ["ALLIANCE_LAKE_ROOT"] = str(lake)
    from alliance_pipeline.validation import ValidationFailed, validate_batch
    from alliance_pipeline.validation.gx_run import context

    context()
    for source_id, dataset in ((SOURCE, "users"), ("platform", "catalog")):
        validate_batch(source_id, dataset, DT, "bench", now=NOW)
    before = psutil.Process().memory_info().rss
    start = time.perf_counter()
    try:
        result = validate_batch(SOURCE, "orders", DT, "bench", now=NOW)
    except ValidationFailed as failed:
        result = failed.result
    wall = time.perf_counter() - start
    return {
        "wall_s": round(wall, 2),
        "rss_before_mb": round(before / MB),
        "rows_in": result.rows_in,
        "rows_passed": result.rows_passed,
        "rows_quarantined": result.rows_quarantined,
        "rejected": result.batch_rejected,
    }


def child_duckdb(lake: Path) -> dict:
    """The same row checks in DuckDB SQL (validation_sql.py)."""
    os.environ["ALLIANCE_LAKE_ROOT"] = str(lake)
    import validation_sql

    start = time.perf_counter()
    counts = validation_sql.validate(lake, SOURCE, "orders", DT, NOW, lake / "duckdb_baseline")
    return {"wall_s": round(time.perf_counter() - start, 2), **counts}


# --- the parent ---------------------------------------------------------------------------


def measured(kind: str, lake: Path) -> dict:
    """Run one child; its figures plus its peak RSS (and its children's), sampled."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, "--lake", str(lake)],
        stdout=subprocess.PIPE,
        text=True,
    )
    watched, peak, done = psutil.Process(proc.pid), [0], threading.Event()

    def sample():
        while not done.is_set():
            with suppress(psutil.Error):
                tree = [watched, *watched.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    done.set()
    thread.join()
    if proc.returncode:
        return {"error": f"exit {proc.returncode}", "peak_rss_mb": round(peak[0] / MB)}
    figures = json.loads(out.strip().splitlines()[-1])
    return figures | {
        "peak_rss_mb": round(peak[0] / MB),
        "rows_per_s": round(figures["rows_in"] / figures["wall_s"]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--label", default="after", help="before | after")
    parser.add_argument("--note", default="", help="what the label measured (commit, settings)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--child", choices=["validate", "duckdb"])
    parser.add_argument("--lake", type=Path)
    args = parser.parse_args(argv)
    if args.child:
        run = child_validate if args.child == "validate" else child_duckdb
        print(json.dumps(run(args.lake)))
        return
    path = RESULTS / "validation_scale.json"
    saved = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    for rows in args.rows:
        lake = prepare(rows)
        entry = {"validate": measured("validate", lake)}
        if not args.no_baseline:
            entry["duckdb"] = measured("duckdb", lake)
            if "wall_s" in entry["validate"] and "wall_s" in entry["duckdb"]:
                entry["over_duckdb"] = round(
                    entry["validate"]["wall_s"] / entry["duckdb"]["wall_s"], 1
                )
        print(rows, json.dumps(entry), flush=True)
        run = saved["runs"].setdefault(args.label, {"note": args.note, "rows": {}})
        run["note"] = args.note or run["note"]
        run["rows"][str(rows)] = entry
        RESULTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
        (RESULTS / "validation_scale.md").write_text(markdown(saved))


def markdown(saved: dict) -> str:
    lines = [
        "# Validation at scale: whole validate_batch vs the same checks in DuckDB SQL",
        "",
        "A kestrel orders delivery (one CSV file, ~1.1% bad rows); each figure from a child",
        "process of its own. Peak RSS is the child's whole life (imports, GX context, the",
        "references); 'RSS before' is the child just before the orders delivery.",
        "",
        *saved.get("notes", []),
        "",
    ]
    for label in sorted(saved["runs"], key=lambda x: (x != "before", x)):
        run = saved["runs"][label]
        lines += [
            f"## {label}" + (f": {run['note']}" if run.get("note") else ""),
            "",
            "| rows | validate s | rows/s | peak RSS MB | RSS before MB | passed | quarantined "
            "| DuckDB s | DuckDB peak RSS MB | validate / DuckDB |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for rows in sorted(run["rows"], key=int):
            e = run["rows"][rows]
            v, d = e["validate"], e.get("duckdb", {})
            lines.append(
                f"| {int(rows):,} | {v.get('wall_s', v.get('error'))} | {v.get('rows_per_s', '')} "
                f"| {v['peak_rss_mb']} | {v.get('rss_before_mb', '')} | {v.get('rows_passed', '')} "
                f"| {v.get('rows_quarantined', '')} | {d.get('wall_s', '')} "
                f"| {d.get('peak_rss_mb', '')} | {e.get('over_duckdb', '')} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
