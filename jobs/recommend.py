"""spark-submit jobs/recommend.py --dt YYYY-MM-DD --lake-root ROOT [--param key=value ...]

Reads  clean/events (dt in the look-back window), clean/catalog/dt=dt, curated/persons/dt=dt,
       curated/person_segment/run_date=dt, the latest curated/rec_index, curated/rec_tuning
       and curated/rec_order_state partitions before dt, and clean/orders delivered after that
       state (every dt <= dt on the first night); hive-partitioned: dt and source come from the
       folder names (lake.spark_io).
Writes curated/rec_index/run_date=dt, curated/rec_order_state/run_date=dt,
       curated/rec_tuning/run_date=dt (the hyper-parameters used: recommendation.tuning),
       curated/recommendations/run_date=dt, curated/model_evaluation/run_date=dt (dynamic
       partition overwrite: a rerun replaces them).
Parameters: the ``recommendation:`` section of config/pipeline.yml, ``--param`` overrides; the
       variants of the recommendation experiment running on dt (config/experiments.yml).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.lake import paths, spark_io
from alliance_pipeline.recommendation.indexing import INDEX_SCHEMA
from alliance_pipeline.recommendation.interactions import order_state, window_bounds
from alliance_pipeline.recommendation.run import run
from alliance_pipeline.recommendation.tuning import TUNING_SCHEMA
from alliance_pipeline.recommendation.variants import running_experiment
from alliance_pipeline.spark_session import job_session


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dt", required=True, type=datetime.date.fromisoformat)
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


def _write(df: DataFrame, root: str, dataset: str, dt: str) -> None:
    run = df.withColumn("run_date", F.lit(dt).cast("date"))
    spark_io.overwrite_partitions(run, paths.path(dataset, root), "run_date")


def _carried(spark: SparkSession, root: str, dataset: str, dt: str):
    """(run_date, frame) of the latest partition of ``dataset`` before ``dt``; (None, None)
    when there is none."""
    day = spark_io.latest_before(spark, paths.path(dataset, root), "run_date", dt)
    if day is None:
        return None, None
    return day, spark_io.read_partition(spark, root, dataset, run_date=day).drop("run_date")


def _orders(spark: SparkSession, root: str, dt: str) -> DataFrame:
    """Every order's latest version as of ``dt``: the carried state plus the orders delivered
    after it (all of them when no night carried one)."""
    day, carried = _carried(spark, root, paths.REC_ORDER_STATE, dt)
    since = None if day is None else datetime.date.fromisoformat(day) + datetime.timedelta(days=1)
    delivered = spark_io.read_clean(spark, root, "orders", since, datetime.date.fromisoformat(dt))
    return order_state(carried, delivered)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    dt, root = args.dt.isoformat(), args.lake_root.rstrip("/")
    params = pipeline_config().recommendation.override(**_overrides(args.param))
    spark = job_session(f"alliance-recommend-{dt}")
    checkpoints = paths.partition(f"{paths.CHECKPOINTS}/recommend", root, run_date=dt)
    spark.sparkContext.setCheckpointDir(checkpoints)
    first, last = window_bounds(dt, params.lookback_days)

    events = spark_io.read_clean(spark, root, "events", first, last)
    orders = _orders(spark, root, dt).localCheckpoint()  # used by the run and written
    catalog = spark_io.read_clean(spark, root, "catalog", last, last)
    persons = spark_io.read_partition(spark, root, paths.PERSONS, dt=last)
    segments = spark_io.read_partition(spark, root, paths.PERSON_SEGMENT, run_date=last)
    _, previous = _carried(spark, root, paths.REC_INDEX, dt)
    if previous is None:
        previous = spark.createDataFrame([], INDEX_SCHEMA)

    _, tuning = _carried(spark, root, paths.REC_TUNING, dt)
    chosen = None if tuning is None else tuning.where("chosen").first().asDict()

    experiment = running_experiment(args.dt)  # its variants get their own lists
    out = run(events, orders, catalog, persons, segments, previous, dt, params, experiment, chosen)
    _write(out.index, root, paths.REC_INDEX, dt)
    _write(orders, root, paths.REC_ORDER_STATE, dt)
    columns = [f.name for f in spark.createDataFrame([], TUNING_SCHEMA).schema]
    tuned = [tuple(r[c] for c in columns) for r in out.tuning]
    _write(spark.createDataFrame(tuned, TUNING_SCHEMA), root, paths.REC_TUNING, dt)
    _write(out.recommendations, root, paths.RECOMMENDATIONS, dt)
    _write(spark.createDataFrame(out.evaluation), root, paths.MODEL_EVALUATION, dt)
    spark_io.delete(spark, checkpoints)
    for m in out.evaluation:
        print(f"recommend {dt}: {m['model']} ndcg@{m['k']}={m['ndcg']:.4f} persons={m['persons']}")
    return 0  # the session ends with the spark-submit process (tests reuse theirs)


if __name__ == "__main__":
    sys.exit(main())
