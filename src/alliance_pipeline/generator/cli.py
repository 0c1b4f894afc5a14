"""``alliance-generate``: write sample partner drops to S3 or a local folder."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time

from alliance_pipeline.generator import GeneratorConfig, run_to


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="alliance-generate", description=__doc__)
    p.add_argument("--persons", type=int, default=10_000)
    p.add_argument("--days", type=int, default=1)
    p.add_argument("--end-date", type=datetime.date.fromisoformat, default=datetime.date(2026, 11, 23),
                   help="last dt (YYYY-MM-DD); the window is the DAYS nights ending there")  # fmt: skip
    p.add_argument("--sources", default=None,
                   help="comma-separated source ids (default: every active source)")  # fmt: skip
    p.add_argument("--defects", action="store_true", help="inject known bad rows and batches")
    p.add_argument(
        "--refund-after-close",
        action="store_true",
        help="the last night refunds an order of the month before (an adjustment after its close)",
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--registry", default=None, help="sources.yml (default: config/sources.yml)")
    p.add_argument("--events-per-person-day", type=float, default=0.22)
    p.add_argument("--orders-per-person-day", type=float, default=0.011)
    p.add_argument("--rows-per-part", type=int, default=500_000)
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--out-dir", help="write the landing layout under this folder")
    out.add_argument("--bucket", help="write to this S3 bucket (created if missing)")
    p.add_argument("--endpoint-url", default=None, help="S3 endpoint, e.g. http://127.0.0.1:8333")
    p.add_argument("--truth", default=None, help="local path of the ground-truth JSON")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = GeneratorConfig(
        persons=args.persons,
        days=args.days,
        end_date=args.end_date,
        seed=args.seed,
        sources=tuple(args.sources.split(",")) if args.sources else None,
        defects=args.defects,
        refund_after_close=args.refund_after_close,
        registry=args.registry,
        events_per_person_day=args.events_per_person_day,
        orders_per_person_day=args.orders_per_person_day,
        rows_per_part=args.rows_per_part,
    )
    client = None
    if args.bucket:
        import boto3

        client = boto3.client("s3", endpoint_url=args.endpoint_url)
    started = time.perf_counter()
    truth = run_to(cfg, client, args.bucket, args.out_dir, args.truth)
    seconds = time.perf_counter() - started
    rows = sum(d["rows"] for d in truth.deliveries)
    summary = {
        "target": f"s3://{args.bucket}" if args.bucket else args.out_dir,
        "deliveries": len(truth.deliveries),
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "defects": len(truth.defects),
        "truth": args.truth,
    }
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
