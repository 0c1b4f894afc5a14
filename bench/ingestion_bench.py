"""Ingestion bench: generate a night at a given scale into a real S3 server (SeaweedFS), then
ingest every delivery (manifest-checked: download, sha256, row count, swap into the raw zone),
beside the baseline of a plain boto3 download of the same files (`aws s3 cp`-style) in the
same run.

    .venv/bin/python bench/ingestion_bench.py --persons 50000 --days 1
writes bench/results/ingestion.json and bench/results/ingestion.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--events-per-person-day", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        tmp = Path(tmp)
        os.environ["ALLIANCE_LAKE_ROOT"] = str(tmp / "lake")
        from alliance_pipeline.generator import GeneratorConfig, run_to
        from alliance_pipeline.ingestion import ingest_delivery
        from alliance_pipeline.local.s3_server import seaweedfs
        from alliance_pipeline.registry import active_sources

        with seaweedfs(tmp / "s3") as endpoint:
            client = endpoint.client()
            bucket = "bench-landing"
            client.create_bucket(Bucket=bucket)
            end = datetime.date(2026, 11, 23)
            started = time.perf_counter()
            truth = run_to(
                GeneratorConfig(
                    persons=args.persons,
                    days=args.days,
                    end_date=end,
                    events_per_person_day=args.events_per_person_day,
                ),
                s3_client=client,
                bucket=bucket,
            )
            generate_s = time.perf_counter() - started
            rows = sum(d["rows"] for d in truth.deliveries)
            objects = [
                o
                for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                for o in page.get("Contents", [])
            ]
            total_bytes = sum(o["Size"] for o in objects)

            def plain_download(folder: Path) -> float:
                started = time.perf_counter()
                for o in objects:
                    target = folder / o["Key"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    client.download_file(bucket, o["Key"], str(target))
                return time.perf_counter() - started

            # Baseline before and after ingestion, best of the two: neither side gets a warm cache
            # the other did not have.
            first_baseline_s = plain_download(tmp / "baseline-1")

            started = time.perf_counter()
            ingested_rows = 0
            nights = [end - datetime.timedelta(days=n) for n in range(args.days)]
            for night in nights:
                for src in active_sources():
                    for dataset in src.datasets:
                        record = ingest_delivery(client, bucket, src, dataset, night.isoformat())
                        ingested_rows += record.rows
            ingest_s = time.perf_counter() - started
            baseline_s = min(first_baseline_s, plain_download(tmp / "baseline-2"))

    mb = total_bytes / 1e6
    result = {
        "scale": {"persons": args.persons, "days": args.days, "rows": rows, "mb": round(mb, 1)},
        "generate": {"seconds": round(generate_s, 2), "rows_per_s": round(rows / generate_s)},
        "ingest": {
            "seconds": round(ingest_s, 2),
            "rows_per_s": round(ingested_rows / ingest_s),
            "mb_per_s": round(mb / ingest_s, 1),
        },
        "baseline_boto3_download": {
            "seconds": round(baseline_s, 2),
            "mb_per_s": round(mb / baseline_s, 1),
        },
        "ingest_over_baseline_time": round(ingest_s / baseline_s, 2),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ingestion.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "ingestion.md").write_text(
        "# Ingestion bench\n\n"
        f"{rows:,} rows, {mb:.1f} MB in {len(objects)} objects ({args.persons:,} persons, "
        f"{args.days} night(s)), SeaweedFS on loopback, 2 cores.\n\n"
        "| step | seconds | rows/s | MB/s |\n|---|---|---|---|\n"
        f"| generate (to S3) | {generate_s:.2f} | {rows / generate_s:,.0f} | {mb / generate_s:.1f} |\n"
        f"| ingest (download, sha256, rows, swap) | {ingest_s:.2f} | "
        f"{ingested_rows / ingest_s:,.0f} | {mb / ingest_s:.1f} |\n"
        f"| baseline: plain boto3 download | {baseline_s:.2f} | | {mb / baseline_s:.1f} |\n\n"
        f"Ingestion takes {ingest_s / baseline_s:.2f}x the time of the plain download.\n"
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
