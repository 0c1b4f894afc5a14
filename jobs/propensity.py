"""spark-submit jobs/propensity.py --dt YYYY-MM-DD --lake-root ROOT [--param key=value ...]

Reads  clean/{events,orders,campaigns,campaign_delivery} with dt in the look-back window
       (propensity.lookback_days ending at dt), clean/catalog/dt=dt, and for each cut-off
       (dt - 2 x label_days, dt - label_days, dt) the latest curated/persons, curated/features
       and curated/person_segment partitions on or before it; the latest
       curated/propensity_model partition before dt (the last model that passed the gate).
Writes curated/propensity_scores/dt=dt, curated/propensity_evaluation/run_date=dt,
       curated/propensity_calibration/run_date=dt, and curated/propensity_model/run_date=dt
       when tonight's model passes the gate (removed when it does not: a rerun that fails
       withdraws what an earlier attempt kept). Every write replaces its partition.
Parameters: the ``propensity:`` section of config/pipeline.yml, ``--param`` overrides.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.lake import paths, spark_io
from alliance_pipeline.propensity import features as pf
from alliance_pipeline.propensity.run import Kept, cutoffs, run
from alliance_pipeline.registry import load_sources
from alliance_pipeline.spark_session import job_session

EVALUATION_SCHEMA = T.StructType(
    [T.StructField(n, t) for n, t in (
        ("target", T.StringType()), ("model", T.StringType()), ("pairs", T.LongType()),
        ("positives", T.LongType()), ("roc_auc", T.DoubleType()), ("pr_auc", T.DoubleType()),
        ("log_loss", T.DoubleType()), ("top_decile_lift", T.DoubleType()),
        ("chosen", T.BooleanType()), ("published", T.BooleanType()), ("reason", T.StringType()),
        ("scoring_model", T.StringType()), ("scoring_model_version", T.StringType()),
        ("params", T.StringType()),
    )]
)  # fmt: skip
CALIBRATION_SCHEMA = T.StructType(
    [T.StructField(n, t) for n, t in (
        ("target", T.StringType()), ("model", T.StringType()), ("decile", T.IntegerType()),
        ("pairs", T.LongType()), ("mean_predicted", T.DoubleType()),
        ("observed_rate", T.DoubleType()),
    )]
)  # fmt: skip


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dt", required=True, type=datetime.date.fromisoformat)
    p.add_argument("--lake-root", required=True)
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="override a propensity parameter (value parsed as JSON)")  # fmt: skip
    return p.parse_args(argv)


def _on_or_before(spark: SparkSession, root: str, dataset: str, key: str, day: datetime.date):
    """The latest partition of ``dataset`` with ``key`` <= day, or None."""
    after = (day + datetime.timedelta(days=1)).isoformat()
    found = spark_io.latest_before(spark, paths.path(dataset, root), key, after)
    if found is None:
        return None
    return spark_io.read_partition(spark, root, dataset, **{key: found}).drop(key)


def _kept(spark: SparkSession, root: str, dt: str) -> Kept | None:
    day = spark_io.latest_before(spark, paths.path(paths.PROPENSITY_MODEL, root), "run_date", dt)
    if day is None:
        return None
    folder = paths.partition(paths.PROPENSITY_MODEL, root, run_date=day)
    (name,) = spark_io.subdirs(spark, folder)
    return Kept(day, name, PipelineModel.load(paths.at(folder, name)))


def _write(df: DataFrame, root: str, dataset: str, key: str, dt: str) -> None:
    """Replace the partition ``key=dt`` of ``dataset`` whole, even with no rows."""
    spark_io.overwrite_dir(df, paths.partition(dataset, root, **{key: dt}))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    dt, root = args.dt, args.lake_root.rstrip("/")
    overrides = {k: json.loads(v) for k, _, v in (p.partition("=") for p in args.param)}
    params = pipeline_config().propensity.override(**overrides)
    spark = job_session(f"alliance-propensity-{dt}")
    first = dt - datetime.timedelta(days=params.lookback_days - 1)

    def clean(name: str, start: datetime.date = first) -> DataFrame:
        return spark_io.read_clean(spark, root, name, start, dt)

    common = {
        "events": pf.with_day(clean("events"), "event_at"),
        "orders": pf.orders_placed(clean("orders")),
        "campaigns": pf.campaign_snapshot(clean("campaigns")),
        "delivery": clean("campaign_delivery"),
        "catalog": clean("catalog", dt),
    }
    persons_at = {}
    for day in (*cutoffs(dt, params.label_days), dt):
        persons = _on_or_before(spark, root, paths.PERSONS, "dt", day)
        persons_at[day] = {
            "persons": persons if persons is not None
            else spark_io.read_partition(spark, root, paths.PERSONS, dt=dt.isoformat()).drop("dt"),
            "features": _on_or_before(spark, root, paths.FEATURES, "run_date", day),
            "segments": _on_or_before(spark, root, paths.PERSON_SEGMENT, "run_date", day),
        }  # fmt: skip
    platform = [s.id for s in load_sources() if s.kind == "platform"]
    out = run(common, persons_at, dt, params, platform, _kept(spark, root, dt.isoformat()))

    day = dt.isoformat()
    _write(out.scores, root, paths.PROPENSITY_SCORES, "dt", day)
    _write(spark.createDataFrame(out.evaluation, EVALUATION_SCHEMA), root,
           paths.PROPENSITY_EVALUATION, "run_date", day)  # fmt: skip
    _write(spark.createDataFrame(out.calibration, CALIBRATION_SCHEMA), root,
           paths.PROPENSITY_CALIBRATION, "run_date", day)  # fmt: skip
    target = paths.partition(paths.PROPENSITY_MODEL, root, run_date=day)
    if out.model is not None:
        staging = paths.at(paths.path(paths.PROPENSITY_MODEL, root), f".staging-run_date={day}")
        out.model.write().overwrite().save(paths.at(staging, out.chosen))
        spark_io.replace_dir(spark, staging, target)
    else:
        spark_io.remove_dir(spark, target)
    for r in out.evaluation:
        print(f"propensity {day}: {r['target']} {r['model']} roc_auc={r['roc_auc']} "
              f"positives={r['positives']} {'chosen' if r['chosen'] else ''}")  # fmt: skip
    return 0  # the session ends with the spark-submit process (tests reuse theirs)


if __name__ == "__main__":
    sys.exit(main())
