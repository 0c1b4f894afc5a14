"""Spark ALS against the `implicit` library on the same interaction matrix.

    .venv/bin/python bench/recommendation_bench.py --scale 1

A planted-preference sample (alliance_pipeline.recommendation.sample) of 2,000 x scale persons
and 300 x scale items goes through the job's own interaction code; the training matrix and the
holdout are then handed to both libraries with the same rank, regularisation, alpha, iterations.
Reported: fit time ratio (Spark / implicit), top-N scoring time of every person, NDCG@10 ratio
(Spark / implicit) with the metric code of alliance_pipeline.recommendation.metrics, and the
popularity baseline (distinct persons per item) on the same split. The Spark model is the job's
one nightly fit: trained without the holdout, evaluated on it, and the one whose lists publish.
Writes bench/results/recommendation.json and bench/results/recommendation.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

RESULTS = Path(__file__).resolve().parent / "results"
DS = "2026-11-23"


def parse_args(argv=None):
    from alliance_pipeline.config import pipeline_config

    cfg = pipeline_config().recommendation  # what the nightly job runs with
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--rank", type=int, default=cfg.rank)
    p.add_argument("--reg", type=float, default=cfg.reg_param)
    p.add_argument("--alpha", type=float, default=cfg.alpha)
    p.add_argument("--iters", type=int, default=cfg.max_iter)
    p.add_argument(
        "--blocks", type=int, help="Spark ALS user/item blocks (default: the job's sizing)"
    )
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--master", default="local[2]")
    return p.parse_args(argv)


def spark_session(master: str):
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("recommendation-bench")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.pyspark.python", sys.executable)  # Arrow batches: this venv's pandas
        .getOrCreate()
    )


def matrices(spark, scale: float, k: int):
    """(train pandas user,item,confidence; holdout dict user -> set(item); n_users; n_items)."""
    from pyspark.sql import functions as F

    from alliance_pipeline.config import RecommendationConfig
    from alliance_pipeline.recommendation import evaluate, indexing, interactions
    from alliance_pipeline.recommendation.sample import planted

    s = planted(
        DS,
        persons=int(2000 * scale),
        items=int(300 * scale),
        groups=10,
        per_person=12,
        holdout_items=3,
        hits=5,
        cold=0,
        noise=0.01,
    )
    events = spark.createDataFrame(s.events[["person_key", "content_id", "event_type", "event_at"]])
    orders = spark.createDataFrame(
        s.orders[
            [
                "source",
                "order_id",
                "person_key",
                "content_id",
                "status",
                "ordered_at",
                "updated_at",
                "dt",
            ]
        ]
    )
    weighted = interactions.weighted_events(events, orders, RecommendationConfig().event_weights)
    train, holdout = evaluate.holdout_split(weighted, DS, 60, 7)
    empty = spark.createDataFrame([], indexing.INDEX_SCHEMA)
    index = indexing.build_index(
        empty,
        train.select(F.col("person_key").alias("key")),
        spark.createDataFrame([(c,) for c in s.catalog.content_id], ["key"]),
    )
    users = indexing.ids(index, "person", "person_key", "user")
    items = indexing.ids(index, "content", "content_id", "item")
    tr = (
        train.join(users, "person_key")
        .join(items, "content_id")
        .select("user", "item", "confidence")
        .toPandas()
    )
    ho = (
        holdout.join(users, "person_key")
        .join(items, "content_id")
        .select("user", "item")
        .toPandas()
    )
    seen = tr.groupby("user")["item"].agg(set)
    relevant = {u: set(g) - seen.get(u, set()) for u, g in ho.groupby("user")["item"]}
    return tr, {u: r for u, r in relevant.items() if r}, int(tr.user.max()) + 1, len(s.catalog)


def run_spark(spark, tr, relevant, args, n_items):
    from pyspark.sql import functions as F

    from alliance_pipeline.config import RecommendationConfig
    from alliance_pipeline.recommendation import factor_scoring, metrics, train

    params = RecommendationConfig(
        rank=args.rank,
        reg_param=args.reg,
        alpha=args.alpha,
        max_iter=args.iters,
    )
    df = spark.createDataFrame(tr).cache()
    df.count()
    t0 = time.perf_counter()
    model = train.fit(df, params, args.blocks)
    model.userFactors.count()
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.recommendForAllUsers(args.k).count()
    score_s = time.perf_counter() - t0
    seen = df.groupBy("user").agg(F.collect_list("item").alias("seen"))
    users = spark.createDataFrame([(int(u),) for u in relevant], ["user"]).join(seen, "user")
    t0 = time.perf_counter()
    top = factor_scoring.top_k_unseen(model, users, args.k).toPandas()
    batch_s = time.perf_counter() - t0
    recs = dict(zip(top.user, top.rec, strict=True))
    pairs = [(recs.get(u, []), r) for u, r in relevant.items()]
    return (
        fit_s,
        score_s,
        {"batch_top_k_unseen_s": batch_s, **metrics.mean_metrics(pairs, args.k, n_items)},
    )


def run_implicit(tr, relevant, args, n_users, n_items, everyone=True):
    """(fit s, scoring s, metrics on ``relevant``); ``everyone``: also score top-k for every
    user, as a night's published lists do (a tuning grid's point scores the judged users only)."""
    from implicit.als import AlternatingLeastSquares

    from alliance_pipeline.recommendation import metrics

    ui = sp.csr_matrix(
        (tr.confidence.astype(np.float32), (tr.user, tr.item)), shape=(n_users, n_items)
    )
    model = AlternatingLeastSquares(
        factors=args.rank,
        regularization=args.reg,
        alpha=args.alpha,
        iterations=args.iters,
        random_state=getattr(args, "seed", 42),
        use_gpu=False,
    )
    t0 = time.perf_counter()
    model.fit(ui, show_progress=False)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if everyone:
        every = np.arange(n_users)
        model.recommend(every, ui[every], N=args.k, filter_already_liked_items=False)
    score_s = time.perf_counter() - t0
    users = np.array(sorted(relevant), dtype=np.int64)
    pairs = []
    if len(users):
        ids, _ = model.recommend(users, ui[users], N=args.k, filter_already_liked_items=True)
        pairs = [(list(row), relevant[u]) for u, row in zip(users, ids, strict=True)]
    return fit_s, score_s, metrics.mean_metrics(pairs, args.k, n_items)


def run_popularity(tr, relevant, args, n_items):
    """The job's baseline: items by distinct persons in training, ties by item id, minus seen."""
    from alliance_pipeline.recommendation import metrics

    counts = tr.groupby("item")["user"].nunique().reset_index()
    ranked = counts.sort_values(["user", "item"], ascending=[False, True])["item"].tolist()
    seen = tr.groupby("user")["item"].agg(set)
    pairs = [
        ([i for i in ranked if i not in seen.get(u, set())][: args.k], r)
        for u, r in relevant.items()
    ]
    return metrics.mean_metrics(pairs, args.k, n_items)


def main(argv=None) -> dict:
    from alliance_pipeline.spark_session import als_blocks

    args = parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    spark = spark_session(args.master)
    t0 = time.perf_counter()
    tr, relevant, n_users, n_items = matrices(spark, args.scale, args.k)
    build_s = time.perf_counter() - t0
    if args.blocks is None:
        args.blocks = als_blocks(len(tr), spark.sparkContext.defaultParallelism)
    s_fit, s_score, s_m = run_spark(spark, tr, relevant, args, n_items)
    i_fit, i_score, i_m = run_implicit(tr, relevant, args, n_users, n_items)
    p_m = run_popularity(tr, relevant, args, n_items)
    spark.stop()
    out = {
        "scale": args.scale,
        "master": args.master,
        "users": n_users,
        "items": n_items,
        "train_nonzeros": len(tr),
        "holdout_persons": len(relevant),
        "build_sample_s": build_s,
        "params": {
            "rank": args.rank,
            "reg": args.reg,
            "alpha": args.alpha,
            "iters": args.iters,
            "blocks": args.blocks,
            "k": args.k,
        },
        "spark": {"fit_s": s_fit, "score_all_top_n_s": s_score, **s_m},
        "implicit": {"fit_s": i_fit, "score_all_top_n_s": i_score, **i_m},
        "popularity": p_m,
        "fit_time_ratio_spark_over_implicit": s_fit / i_fit,
        "score_time_ratio_spark_over_implicit": s_score / i_score,
        "ndcg_ratio_spark_over_implicit": s_m["ndcg"] / i_m["ndcg"] if i_m["ndcg"] else None,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recommendation.json").write_text(json.dumps(out, indent=2) + "\n")
    (RESULTS / "recommendation.md").write_text(
        f"# Recommendation bench (scale {args.scale}, {args.master})\n\n"
        f"{n_users} users x {n_items} items, {len(tr)} training non-zeros, "
        f"{len(relevant)} holdout persons; rank {args.rank}, reg {args.reg}, alpha {args.alpha}, "
        f"{args.iters} iterations, {args.blocks} Spark ALS blocks.\n\n"
        "| | fit s | top-{k} all users s | NDCG@{k} | MAP@{k} | coverage |\n|---|---|---|---|---|---|\n".format(
            k=args.k
        )
        + "".join(
            f"| {name} | {r['fit_s']:.2f} | {r['score_all_top_n_s']:.2f} | {r['ndcg']:.4f} | {r['map']:.4f} | {r['coverage']:.3f} |\n"
            for name, r in (("Spark ALS", out["spark"]), ("implicit", out["implicit"]))
        )
        + f"| popularity | | | {p_m['ndcg']:.4f} | {p_m['map']:.4f} | {p_m['coverage']:.3f} |\n"
        + f"\nBuilding the sample (planted events through the job's interaction code) took"
        f" {build_s:.1f} s; the job's batch scoring (top-{args.k} unseen of the evaluated persons,"
        f" factor_scoring.top_k_unseen) {out['spark']['batch_top_k_unseen_s']:.2f} s.\n"
        + f"\nfit ratio Spark/implicit {out['fit_time_ratio_spark_over_implicit']:.1f}x, "
        f"scoring ratio {out['score_time_ratio_spark_over_implicit']:.1f}x, "
        f"NDCG ratio {out['ndcg_ratio_spark_over_implicit']:.3f}.\n\n"
        "Regularisation is not identical: Spark scales regParam by each user's/item's number of "
        "ratings (ALS-WR), implicit does not.\n"
    )
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
