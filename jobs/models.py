"""spark-submit jobs/models.py --dt YYYY-MM-DD --lake-root ROOT [--stages features,segment,...]

The night's model stages in one Spark application: segmentation features
(``jobs/features.py``), segments (``jobs/segment.py``), recommendations (``jobs/recommend.py``)
and propensity (``jobs/propensity.py``), in that order, each its own job's ``main`` with the
night's arguments, in this one session. Each stage reads what the one before wrote to the lake,
exactly as when they ran as four spark-submits: the outputs are the same. What the single
application saves is three JVM starts, sessions and Python driver starts (~12 s each on the
demo's 2-core machine) and the cold planning of each first query: the stages after the first
plan on a warm JVM. ``--stages`` runs a subset (in the same order), e.g. to rerun one.

Each stage's wall time is printed (``models dt=...: features 8.1 s``); a stage that fails
fails the application, and a rerun starts again from the first stage (every write replaces
its partition).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import sys
import time
from pathlib import Path

from alliance_pipeline.spark_session import job_session

STAGES = ("features", "segment", "recommend", "propensity")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--dt", required=True, type=datetime.date.fromisoformat, help="run date YYYY-MM-DD"
    )
    p.add_argument("--lake-root", required=True, help="lake root folder or s3a:// URI")
    p.add_argument(
        "--stages",
        type=lambda s: tuple(s.split(",")),
        default=STAGES,
        help=f"comma-separated subset of {','.join(STAGES)} (default: all)",
    )
    args = p.parse_args(argv)
    unknown = set(args.stages) - set(STAGES)
    if unknown:
        p.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    return args


def stage_job(name: str):
    """``jobs/{name}.py`` as a module (the script beside this one)."""
    spec = importlib.util.spec_from_file_location(
        f"alliance_{name}_job", Path(__file__).with_name(f"{name}.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    dt = args.dt.isoformat()
    spark = job_session(f"alliance-models-{dt}")  # each stage's job_session() returns it
    for name in (s for s in STAGES if s in args.stages):
        started = time.perf_counter()
        status = stage_job(name).main(["--dt", dt, "--lake-root", args.lake_root])
        if status:
            return status
        spark.catalog.clearCache()  # what a stage cached is not the next one's
        print(f"models dt={dt}: {name} {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
