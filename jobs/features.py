"""spark-submit job: per-person segmentation features for one run date.

    spark-submit jobs/features.py --dt 2026-11-23 --lake-root /abs/lake [--lookback-days 90]

Reads clean/{orders,events,catalog,fx_rates} over the look-back window and
curated/persons/dt={dt}; writes curated/features/run_date={dt}/ (partition overwrite).
"""

from __future__ import annotations

import argparse
import datetime
import sys

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.lake import paths, spark_io
from alliance_pipeline.segmentation import features as feat
from alliance_pipeline.spark_session import job_session


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--dt", required=True, type=datetime.date.fromisoformat, help="run date YYYY-MM-DD"
    )
    p.add_argument("--lake-root", required=True, help="lake root folder or s3a:// URI")
    p.add_argument("--lookback-days", type=int, help="default: segmentation.lookback_days")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    lookback_days = args.lookback_days
    if lookback_days is None:
        lookback_days = pipeline_config().segmentation.lookback_days
    spark = job_session(f"alliance-segmentation-features-{args.dt}")
    dt, root = args.dt, args.lake_root
    start = feat.window_start(dt, lookback_days)
    orders = spark_io.read_clean(spark, root, "orders", start, dt)
    events = spark_io.read_clean(spark, root, "events", start, dt)
    catalog = spark_io.read_clean(spark, root, "catalog", dt, dt)
    fx_rates = spark_io.read_clean(
        spark, root, "fx_rates", start - datetime.timedelta(days=feat.FX_SLACK_DAYS), dt
    )
    persons = spark_io.read_partition(spark, root, paths.PERSONS, dt=dt)

    orders_cny = feat.orders_in_cny(orders, fx_rates, start, dt).cache()
    missing = feat.missing_rates(orders_cny).collect()
    if missing:
        where = ", ".join(f"{r.source}/{r.currency}/{r.order_date}" for r in missing[:10])
        raise SystemExit(
            f"dataset=orders dt={dt} rule=fx_rate_known: no fx_rates on or before the order "
            f"date for {len(missing)} (source/currency/order_date) group(s): {where}"
        )
    out = feat.person_features(persons, orders_cny, events, catalog, dt, lookback_days)
    path = paths.path(paths.FEATURES, root)
    spark_io.overwrite_partitions(out, path, "run_date")
    print(f"features: wrote run_date={dt} under {path}")
    return 0  # the session ends with the spark-submit process (jobs/models.py goes on)


if __name__ == "__main__":
    sys.exit(main())
