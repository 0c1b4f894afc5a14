"""spark-submit job: KMeans segments with stable ids, profiles and the profile chart.

    spark-submit jobs/segment.py --dt 2026-11-23 --lake-root /abs/lake [--k-min 3 --k-max 8
        --seed 42 --restarts 10]

Reads curated/features/run_date={dt} and the latest curated/segment_centroids run before dt
(the previous centres: tonight's warm start and the ids to keep);
writes curated/person_segment, curated/segment_centroids, curated/segment_profile (each
run_date={dt}, partition overwrite) and reports/segments/run_date={dt}/profile.html.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.lake import paths, spark_io
from alliance_pipeline.segmentation import chart
from alliance_pipeline.segmentation.pipeline import segment_night
from alliance_pipeline.spark_session import job_session

REASONS = {
    "first": "chosen by stability: no previous segments",
    "kept": "kept: warm start from the previous centres",
    "margin": "re-chosen: the scan's silhouette beat the kept one by the margin",
    "cadence": "re-chosen on cadence",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--dt", required=True, type=datetime.date.fromisoformat, help="run date YYYY-MM-DD"
    )
    p.add_argument("--lake-root", required=True, help="lake root folder or s3a:// URI")
    for name in ("k-min", "k-max", "seed", "restarts", "max-iter"):
        p.add_argument(
            f"--{name}", type=int, help=f"default: segmentation.{name.replace('-', '_')}"
        )
    p.add_argument("--no-pca", action="store_true", help="leave the PCA scatter out of the chart")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    options = ("k_min", "k_max", "seed", "restarts", "max_iter")
    given = {name: getattr(args, name) for name in options if getattr(args, name) is not None}
    params = pipeline_config().segmentation.override(**given)
    spark = job_session(f"alliance-segmentation-{args.dt}")
    dt, root = args.dt, args.lake_root
    features = spark_io.read_partition(spark, root, paths.FEATURES, run_date=dt)
    centroids = paths.path(paths.SEGMENT_CENTROIDS, root)
    prev_day = spark_io.latest_before(spark, centroids, "run_date", str(dt))
    previous = None
    if prev_day is not None:
        previous = spark_io.read_partition(
            spark, root, paths.SEGMENT_CENTROIDS, run_date=prev_day
        ).toPandas()

    night = segment_night(features, previous, dt, params, with_pca=not args.no_pca)

    def write(df, dataset: str) -> None:
        spark_io.overwrite_partitions(df, paths.path(dataset, root), "run_date")

    write(night.person_segment, paths.PERSON_SEGMENT)
    profile = night.profile.assign(run_date=dt, k=night.choice.k)
    write(spark.createDataFrame(profile), paths.SEGMENT_PROFILE)
    history = night.history.assign(run_date=dt)
    write(spark.createDataFrame(history), paths.SEGMENT_CENTROIDS)
    choice = night.choice
    notes = {
        "k": f"{choice.k} ({REASONS[choice.reason]}; chosen on {choice.chosen_on or dt})",
        "silhouette": round(choice.clustering.silhouette, 4),
        "stability per k (scan: mean split-half adjusted Rand index)": json.dumps(
            {k: round(v, 4) for k, v in choice.stabilities.items()}
        ),
        "previous run": prev_day or "none",
        "retired today": ", ".join(night.retired) or "none",
    }
    page = chart.profile_html(night.profile, str(dt), night.points, notes)
    report = paths.partition(paths.SEGMENT_REPORTS, root, run_date=dt)
    spark_io.write_text(spark, paths.at(report, "profile.html"), page)
    print(
        f"segments: run_date={dt} k={choice.k} ({choice.reason}) "
        f"segments={list(night.profile['segment_id'])} retired={night.retired}"
    )
    return 0  # the session ends with the spark-submit process (jobs/models.py goes on)


if __name__ == "__main__":
    sys.exit(main())
