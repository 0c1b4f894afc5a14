"""spark-submit jobs/recommend.py --ds YYYY-MM-DD --lake-root ROOT [--param key=value ...]

Reads  clean/events (dt in the look-back window), clean/orders (dt <= ds), clean/catalog/dt=ds,
       curated/persons/dt=ds, curated/person_segment/run_date=ds, curated/rec_index (earlier runs);
       hive-partitioned: dt and source come from the folder names (segmentation.lake_io).
Writes curated/rec_index/run_date=ds, curated/recommendations/run_date=ds,
       curated/model_evaluation/run_date=ds (dynamic partition overwrite: a rerun replaces them).
Parameters: the ``recommendation:`` section of config/pipeline.yml, ``--param`` overrides.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.recommendation.indexing import INDEX_SCHEMA, latest_before
from alliance_pipeline.recommendation.interactions import window_bounds
from alliance_pipeline.recommendation.run import run
from alliance_pipeline.segmentation import lake_io
from alliance_pipeline.spark_session import job_session, read_partitions

REC_INDEX = "curated/rec_index"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ds", required=True, type=dt.date.fromisoformat)
    p.add_argument("--lake-root", required=True)
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recommendation parameter (value parsed as JSON)",
    )
    return p.parse_args(argv)


def _overrides(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key] = json.loads(value)
    return out


def _write(df: DataFrame, root: str, zone_path: str, ds: str) -> None:
    lake_io.write_run(df.withColumn("run_date", F.lit(ds).cast("date")), root, zone_path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ds, root = args.ds.isoformat(), args.lake_root.rstrip("/")
    params = pipeline_config().recommendation.override(**_overrides(args.param))
    spark = job_session(f"alliance-recommend-{ds}")
    checkpoints = f"{root}/curated/_checkpoints/recommend/run_date={ds}"
    spark.sparkContext.setCheckpointDir(checkpoints)
    first, last = window_bounds(ds, params.lookback_days)

    events = lake_io.read_clean(spark, root, "events", first, last)
    orders = lake_io.read_clean(spark, root, "orders", None, last)  # ownership: all history
    catalog = lake_io.read_clean(spark, root, "catalog", last, last)
    persons = lake_io.read_run(spark, root, lake_io.PERSONS, "dt", last)
    segments = lake_io.read_run(spark, root, lake_io.PERSON_SEGMENT, "run_date", last)
    index_root = lake_io.join(root, REC_INDEX)
    previous = (
        latest_before(read_partitions(spark, index_root, [index_root]), ds)
        if lake_io.exists(spark, index_root)
        else spark.createDataFrame([], INDEX_SCHEMA)
    )

    out = run(events, orders, catalog, persons, segments, previous, ds, params)
    _write(out.index, root, REC_INDEX, ds)
    _write(out.recommendations, root, "curated/recommendations", ds)
    _write(spark.createDataFrame(out.evaluation), root, "curated/model_evaluation", ds)
    lake_io.delete(spark, checkpoints)
    for m in out.evaluation:
        print(f"recommend {ds}: {m['model']} ndcg@{m['k']}={m['ndcg']:.4f} persons={m['persons']}")
    return 0  # the session ends with the spark-submit process (tests reuse theirs)


if __name__ == "__main__":
    sys.exit(main())
