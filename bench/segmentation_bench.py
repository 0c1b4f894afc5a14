"""Benchmark: segmentation features + Spark KMeans beside scikit-learn KMeans, same matrix.

    .venv/bin/python bench/segmentation_bench.py --persons 5000 --k 4

Generates clean-zone orders, events, catalog and fx rates for ``--persons`` persons in four
planted behaviour groups (Spark built-ins, seeded), runs the features transform, scales, fits
the job's KMeans (k-means++ on its driver sample, then Lloyd's iterations over every person in
Spark; settings from config) and scikit-learn KMeans (k-means++, n_init=10) on the same
collected matrix. Then stability on the generator's world (``--world-persons`` persons, 90
days, its four planted groups): two consecutive nights through ``segment_night`` with the
job's settings, k chosen by its scan over [k_min, k_max] (``--world-k`` fixes it), the share of
persons keeping their segment id and the adjusted Rand index against the planted groups. Writes
bench/results/segmentation.json and bench/results/segmentation.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time
from pathlib import Path

import numpy as np
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.contracts import CATEGORIES
from alliance_pipeline.segmentation import features as feat
from alliance_pipeline.segmentation import kmeans

DS = datetime.date(2026, 11, 23)
RESULTS = Path(__file__).resolve().parent / "results"


def synthetic(spark, persons: int, seed: int):
    """persons, orders, events, catalog, fx_rates with clean-zone column names."""
    p = spark.range(persons).select(
        F.sha2(F.col("id").cast("string"), 256).alias("person_key"),
        (F.col("id") % 4).alias("g"),
        F.col("id"),
    )
    persons_df = p.select(
        "person_key",
        F.when(F.col("g") == 0, "moonbay;platform").otherwise("platform").alias("sources"),
        F.element_at(F.array(*map(F.lit, ("platinum", "free", "silver", "free"))), (F.col("g") + 1).cast("int")).alias("membership_tier"),
        F.lit("25-34").alias("age_band"),
    )  # fmt: skip
    n_orders = F.element_at(F.array(*map(F.lit, (6, 1, 2, 0))), (F.col("g") + 1).cast("int"))
    orders = (
        p.withColumn("n", n_orders)
        .select("person_key", "g", F.explode(F.sequence(F.lit(1), F.greatest("n", F.lit(1)))).alias("i"), "n")
        .where("n > 0")
        .select(
            F.concat_ws("-", "person_key", "i").alias("order_id"), "person_key",
            F.when(F.rand(seed) < 0.2, "USD").otherwise("CNY").alias("currency"),
            (F.lit(40) + F.rand(seed + 1) * F.when(F.col("g") == 0, 900).otherwise(100)).cast("decimal(18,2)").alias("amount"),
            F.timestamp_add("DAY", -(F.when(F.col("g") == 1, 60).otherwise(2) + (F.rand(seed + 2) * 20).cast("int")), F.lit(datetime.datetime(2026, 11, 23, 4))).alias("ordered_at"),
            F.lit("paid").alias("status"), F.lit(None).cast("decimal(18,2)").alias("refund_amount"),
            F.lit("platform").alias("source"), F.lit(DS).alias("dt"),
        )
        .withColumn("updated_at", F.col("ordered_at"))
    )  # fmt: skip
    n_events = F.element_at(F.array(*map(F.lit, (30, 3, 15, 8))), (F.col("g") + 1).cast("int"))
    events = p.select(
        "person_key", "g", F.explode(F.sequence(F.lit(1), n_events)).alias("i")
    ).select(
        F.concat_ws("-", "person_key", "i").alias("event_id"), "person_key",
        F.concat(F.lit("c"), ((F.col("g") * 2 + (F.rand(seed + 3) < 0.3).cast("int")) % 8).cast("string")).alias("content_id"),
        F.element_at(F.array(*map(F.lit, ("play", "progress", "complete", "view"))), (F.rand(seed + 4) * 4).cast("int") + 1).alias("event_type"),
        F.timestamp_add("DAY", -(F.rand(seed + 5) * 80).cast("int"), F.lit(datetime.datetime(2026, 11, 23, 4))).alias("event_at"),
        (F.rand(seed + 6) * 900).cast("long").alias("duration_s"), F.lit("platform").alias("source"),
    )  # fmt: skip
    catalog = spark.createDataFrame(
        [(f"c{i}", CATEGORIES[i], DS) for i in range(8)], "content_id string, category string, dt date"
    )  # fmt: skip
    fx = spark.createDataFrame(
        [(DS - datetime.timedelta(days=120), "USD", 7.1, DS)], "date date, currency string, cny_per_unit double, dt date"
    ).withColumn("cny_per_unit", F.col("cny_per_unit").cast("decimal(18,6)"))  # fmt: skip
    return persons_df, orders, events, catalog, fx


def run(persons: int, k: int, seed: int) -> dict:
    params = pipeline_config().segmentation
    spark = (
        SparkSession.builder.master("local[2]").appName("segmentation-bench")
        .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8").getOrCreate()
    )  # fmt: skip
    spark.range(1).count()  # JVM warm-up kept out of the timings
    persons_df, orders, events, catalog, fx = synthetic(spark, persons, seed)
    t0 = time.perf_counter()
    start = feat.window_start(DS, params.lookback_days)
    orders_cny = feat.orders_in_cny(orders, fx, start, DS)
    features = feat.person_features(
        persons_df, orders_cny, events, catalog, DS, params.lookback_days
    ).cache()
    rows = features.count()
    t_features = time.perf_counter() - t0

    model_df = kmeans.model_input(features)
    vectors = kmeans.scale(model_df, kmeans.fit_scaler(model_df)).cache()
    vectors.count()
    t1 = time.perf_counter()
    points = kmeans.scan_sample(vectors, params.scan_sample, params.seed)
    spark_cost = kmeans.fit(vectors, points, k, params).cost
    t_spark = time.perf_counter() - t1
    x = np.array([r.features.toArray() for r in vectors.collect()])
    spark.stop()  # fmt: skip

    from sklearn.cluster import KMeans

    t2 = time.perf_counter()
    sk = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
    t_sk = time.perf_counter() - t2
    return {
        "persons": persons, "feature_rows": rows, "k": k, "dims": int(x.shape[1]),
        "scan_sample": params.scan_sample, "restarts": params.restarts,
        "features_seconds": round(t_features, 2), "spark_kmeans_seconds": round(t_spark, 2),
        "sklearn_kmeans_seconds": round(t_sk, 3),
        "time_ratio_spark_over_sklearn": round(t_spark / t_sk, 1),
        "spark_cost": spark_cost, "sklearn_cost": float(sk.inertia_),
        "cost_ratio_spark_over_sklearn": round(spark_cost / sk.inertia_, 5),
    }  # fmt: skip


def stability(persons: int, k: int) -> dict:
    from sklearn.metrics import adjusted_rand_score

    from alliance_pipeline.generator import GeneratorConfig
    from alliance_pipeline.segmentation.pipeline import segment_night
    from alliance_pipeline.segmentation.sample import generated_inputs, night_features

    params = pipeline_config().segmentation
    if k:
        params = params.override(k_min=k, k_max=k)
    spark = (
        SparkSession.builder.master("local[2]").appName("segmentation-stability-bench")
        .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8").getOrCreate()
    )  # fmt: skip
    inputs = generated_inputs(GeneratorConfig(persons=persons, days=90, seed=7))
    truth = inputs.truth.to_pandas().set_index("person_key")["group"]
    previous, nights = None, []
    for dt in inputs.dates[-2:]:
        features = night_features(spark, inputs, dt, params.lookback_days)
        night = segment_night(features, previous, dt, params, with_pca=False)
        ids = night.person_segment.toPandas().set_index("person_key")["segment_id"]
        nights.append((dt, night, ids))
        previous = night.history
    spark.stop()
    (_, _, ids1), (_, _, ids2) = nights
    both = ids1.index.intersection(ids2.index)
    return {
        "world_persons": persons,
        "world_k": k or f"scan {params.k_min}..{params.k_max}",
        "kept_segment_id_share": round(float((ids1[both] == ids2[both]).mean()), 4),
        "nights": [
            {
                "run_date": str(dt), "k": night.choice.k, "reason": night.choice.reason,
                "ari": round(float(adjusted_rand_score(truth[ids.index], ids)), 4),
                "labels": sorted(night.profile["label"]),
            }
            for dt, night, ids in nights
        ],
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=5000, help="scale: number of persons")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--world-persons", type=int, default=2000, help="stability: generated persons")
    ap.add_argument(
        "--world-k", type=int, default=0, help="stability: fix k (0: the job's scan chooses)"
    )
    args = ap.parse_args(argv)
    result = run(args.persons, args.k, args.seed)
    result["stability"] = stability(args.world_persons, args.world_k)
    result["machine"] = f"{platform.machine()}, {platform.python_version()}, Spark local[2]"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "segmentation.json").write_text(json.dumps(result, indent=2) + "\n")
    stab = result["stability"]
    md = [
        "# Segmentation benchmark", "",
        f"{result['persons']} persons, k={result['k']}, {result['dims']} scaled features; "
        f"{result['machine']}.", "",
        "| step | seconds |", "|---|---|",
        f"| features (Spark) | {result['features_seconds']} |",
        f"| KMeans, the job's (k-means++ x {result['restarts']} on {result['scan_sample']} sampled persons, Lloyd over all in Spark) | {result['spark_kmeans_seconds']} |",
        f"| KMeans, scikit-learn (n_init=10) | {result['sklearn_kmeans_seconds']} |", "",
        f"Time ratio Spark / scikit-learn: {result['time_ratio_spark_over_sklearn']}. "
        f"Cost ratio Spark / scikit-learn: {result['cost_ratio_spark_over_sklearn']}.", "",
        f"Stability on the generator's world ({stab['world_persons']} persons, 90 days, k="
        f"{stab['world_k']}): {stab['kept_segment_id_share']:.1%} of persons keep their segment "
        "id from one night to the next.", "",
        "| night | k | how | ARI vs planted groups | labels |", "|---|---|---|---|---|",
        *[f"| {n['run_date']} | {n['k']} | {n['reason']} | {n['ari']} | {'; '.join(n['labels'])} |"
          for n in stab["nights"]], "",
    ]  # fmt: skip
    (RESULTS / "segmentation.md").write_text("\n".join(md))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
