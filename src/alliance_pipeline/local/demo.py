"""`make demo`: the nightly pipeline end to end on sample partner data, embedded defaults.

Starts a local S3 server (SeaweedFS) unless ALLIANCE_S3_ENDPOINT names one, generates sample
partner drops into it (with planted defects and a refund after the close), runs the
``alliance_nightly`` DAG through Airflow itself (``airflow dags test``: SQLite metadata, DuckDB
warehouse, Spark in local mode) for each night and, after the first night of a new month, the
``alliance_monthly_close`` DAG for the month before; copies what the partners received out of
S3, stops what it started, and prints what was produced and where.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import shutil
import sys
import time
from collections.abc import Generator
from pathlib import Path

from alliance_pipeline.generator import GeneratorConfig, run_to
from alliance_pipeline.local.airflow_home import (
    QUIET_LOGGERS,
    USER_EXPORTED,
    local_airflow_environ,
    migrate_metadata_db,
)
from alliance_pipeline.local.outcome import RunResult, failed_as_planted
from alliance_pipeline.local.runs import executor_environ, run_dag
from alliance_pipeline.local.s3_server import S3Endpoint, ensure_bucket, seaweedfs
from alliance_pipeline.settings import PROJECT_ROOT, S3_CONN_ID

DAG_ID = "alliance_nightly"
CLOSE_DAG_ID = "alliance_monthly_close"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
DEMO_CONFIG = PROJECT_ROOT / "config" / "demo-pipeline.yml"
# Far past a slow night (5 minutes here): only a run that hangs reaches it.
RUN_TIMEOUT = 3600.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--date",
        default="2026-12-02",
        help="last night to run (YYYY-MM-DD); after the first night of a month the month "
        "before is closed",
    )
    parser.add_argument(
        "--nights",
        type=int,
        default=4,
        help="nights generated and run, up to --date (the propensity model first passes its "
        "gate on the third)",
    )
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--events-per-person-day",
        type=float,
        default=3.0,
        help="activity of the sample (a few nights need dense activity for the recommender)",
    )
    parser.add_argument(
        "--no-defects",
        dest="defects",
        action="store_false",
        help="no planted bad batches and rows (by default the last night has them: its "
        "rejected deliveries fail it, as planted)",
    )
    parser.add_argument("--home", type=Path, default=PROJECT_ROOT / "var" / "demo")
    args = parser.parse_args(argv)
    # before this process first imports the warehouse layer (local.outcome): its hook's info
    # lines ("Opening DuckDB database ...") would drown the summary
    os.environ.setdefault("AIRFLOW__LOGGING__NAMESPACE_LEVELS", QUIET_LOGGERS)

    home: Path = args.home.resolve()
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    last = datetime.date.fromisoformat(args.date)
    nights = [last - datetime.timedelta(days=n) for n in reversed(range(args.nights))]
    with local_landing(home) as (endpoint, overrides):
        overrides["ALLIANCE_PIPELINE_CONFIG"] = os.environ.get(
            "ALLIANCE_PIPELINE_CONFIG", str(DEMO_CONFIG)
        )
        client = endpoint.client()
        started = time.monotonic()
        truth = run_to(
            GeneratorConfig(
                persons=args.persons,
                days=args.nights,
                end_date=last,
                seed=args.seed,
                defects=args.defects,
                refund_after_close=True,
                events_per_person_day=args.events_per_person_day,
                orders_per_person_day=args.events_per_person_day / 20,
            ),
            s3_client=client,
            bucket=overrides["ALLIANCE_LANDING_BUCKET"],
            truth_path=home / "generator-truth.json",
        )
        rows = sum(d["rows"] for d in truth.deliveries)
        say(
            f"Generated {len(truth.deliveries)} deliveries, {rows:,} rows, "
            f"{args.persons:,} persons, in {time.monotonic() - started:.0f}s"
        )

        # The user's own connections stay theirs, but the landing is the one the sample data is in.
        keep = {k: v for k, v in USER_EXPORTED.items() if k != f"AIRFLOW_CONN_{S3_CONN_ID.upper()}"}
        if keep:
            say(f"Airflow: using your exported {', '.join(sorted(keep))}")
        env = local_airflow_environ(home / "airflow", overrides, keep=keep)
        say("Airflow: preparing the metadata database (SQLite) ...")
        migrate_metadata_db(env)
        with executor_environ(env) as env:
            results = []
            for night in nights:
                results.append(run_night(env, night, home))
                if night.day == 1 and night > nights[0]:
                    results.append(run_close(env, night, home))
        copied = copy_outbound(client, overrides["ALLIANCE_LANDING_BUCKET"], home / "outbound")
        say(f"Copied {copied} partner files (statements, audiences) to {home / 'outbound'}")

    os.environ.update(overrides)
    from alliance_pipeline.local.summary import print_summary

    print_summary(home, results)
    return 0 if all(r.ok or r.planted for r in results) else 1


@contextlib.contextmanager
def local_landing(home: Path) -> Generator[tuple[S3Endpoint, dict[str, str]]]:
    """The S3 endpoint (ALLIANCE_S3_ENDPOINT, else a SeaweedFS server started under ``home``,
    stopped on exit) with the landing bucket, and the environment overrides that point the
    pipeline's connections and lake at ``home`` (also used by bench/night_bench.py)."""
    overrides = {
        "ALLIANCE_LAKE_ROOT": str(home / "lake"),
        "ALLIANCE_WAREHOUSE_PATH": str(home / "warehouse.duckdb"),
        "ALLIANCE_LANDING_BUCKET": os.environ.get("ALLIANCE_LANDING_BUCKET", "alliance-landing"),
    }
    with contextlib.ExitStack() as stack:
        if os.environ.get("ALLIANCE_S3_ENDPOINT"):
            endpoint = S3Endpoint(
                url=os.environ["ALLIANCE_S3_ENDPOINT"],
                access_key=os.environ.get("ALLIANCE_S3_ACCESS_KEY", S3Endpoint.access_key),
                secret_key=os.environ.get("ALLIANCE_S3_SECRET_KEY", S3Endpoint.secret_key),
            )
            say(f"S3: using {endpoint.url}")
        else:
            say("S3: starting a local SeaweedFS server ...")
            endpoint = stack.enter_context(seaweedfs(home / "s3"))
            say(f"S3: serving on {endpoint.url}")
        overrides["ALLIANCE_S3_ENDPOINT"] = endpoint.url
        ensure_bucket(endpoint.client(), overrides["ALLIANCE_LANDING_BUCKET"])
        yield endpoint, overrides


def copy_outbound(client, bucket: str, to: Path) -> int:
    """Everything the partners received (``outbound/``) out of the S3 server the demo stops."""
    copied = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="outbound/"):
        for obj in page.get("Contents", []):
            target = to / obj["Key"].removeprefix("outbound/")
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, obj["Key"], str(target))
            copied += 1
    return copied


def run_night(env: dict[str, str], night: datetime.date, home: Path) -> RunResult:
    """The night's ``alliance_nightly`` run (at 03:00 the next morning); a failed night is
    checked against what the generator planted (local.outcome)."""
    at = datetime.datetime.combine(night + datetime.timedelta(days=1), datetime.time(3), SHANGHAI)
    log = home / "logs" / f"{DAG_ID}-{night}.log"
    say(f"Airflow: airflow dags test {DAG_ID} (night {night}) ... log: {log}")
    started = time.monotonic()
    ok = run_dag(env, DAG_ID, at.isoformat(), {"date": night.isoformat()}, log, RUN_TIMEOUT)
    seconds = time.monotonic() - started
    planted = None if ok else failed_as_planted(home, DAG_ID, at, night)
    state = "success" if ok else ("failed as planted" if planted else "FAILED")
    say(f"  night {night}: {state} in {seconds:.0f}s")
    if planted:
        say(f"  {planted}")
    return RunResult(f"night {night}", ok, log, seconds, planted)


def run_close(env: dict[str, str], night: datetime.date, home: Path) -> RunResult:
    """``alliance_monthly_close`` for the month before ``night`` (the first of a month), the
    morning after the night ran; it closes that month and sends the partners' statements."""
    period = (night - datetime.timedelta(days=1)).strftime("%Y-%m")
    at = datetime.datetime.combine(night + datetime.timedelta(days=1), datetime.time(9), SHANGHAI)
    log = home / "logs" / f"{CLOSE_DAG_ID}-{period}.log"
    say(f"Airflow: airflow dags test {CLOSE_DAG_ID} (period {period}) ... log: {log}")
    started = time.monotonic()
    ok = run_dag(env, CLOSE_DAG_ID, at.isoformat(), {"period": period}, log, RUN_TIMEOUT)
    seconds = time.monotonic() - started
    say(f"  close {period}: {'success' if ok else 'FAILED'} in {seconds:.0f}s")
    return RunResult(f"close {period}", ok, log, seconds)


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
