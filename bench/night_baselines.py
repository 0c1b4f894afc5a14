"""The plain single-machine baselines of bench/night_bench.py, over the same lake and landing
bucket as the pipeline's night: a boto3 download, scikit-learn KMeans, `implicit` ALS (through
bench/recommendation_bench.py) and DuckDB SQL settlement (bench/settlement_bench.py)."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from alliance_pipeline.lake import paths

CLEAN = (
    "read_parquet('{folder}/*/*/*.parquet', union_by_name = true, "
    "hive_partitioning = true, hive_types = {{'dt': DATE, 'source': VARCHAR}})"
)

# (person_key, content_id, part, confidence): the recommender's signals (event weights, the
# latest version of each owning order as a purchase) summed per pair over the business days of
# the window, by part: 0 the tuning grid's fitting days, 1 its validation days, 2 the holdout.
INTERACTIONS_SQL = """
WITH
o AS (SELECT * FROM {orders} WHERE dt <= DATE '{dt}'
      QUALIFY row_number() OVER (PARTITION BY source, order_id ORDER BY updated_at DESC, dt DESC) = 1),
sig AS (
  SELECT person_key, content_id, event_type AS kind, event_at AS ts FROM {events}
  WHERE dt BETWEEN DATE '{first}' AND DATE '{dt}'
  UNION ALL
  SELECT person_key, content_id, 'purchase', ordered_at FROM o
  WHERE status IN ('paid', 'partially_refunded')),
w AS (SELECT person_key, content_id, CAST(timezone('Asia/Shanghai', ts) AS DATE) AS day, weight
      FROM sig JOIN (VALUES {weights}) AS weights(kind, weight) USING (kind))
SELECT person_key, content_id,
       CASE WHEN day > DATE '{cutoff}' THEN 2 WHEN day > DATE '{validation}' THEN 1 ELSE 0 END AS part,
       sum(weight) AS confidence
FROM w WHERE weight > 0 AND day BETWEEN DATE '{first}' AND DATE '{dt}' GROUP BY ALL
"""


def download(client, bucket: str, prefixes: list[str], folder: Path) -> int:
    """Plain boto3 download of every object under ``prefixes`` (no manifest, checksum or row
    count); returns bytes."""
    total = 0
    for prefix in prefixes:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                target = folder / o["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                client.download_file(bucket, o["Key"], str(target))
                total += o["Size"]
    return total


def kmeans(features_dir: Path) -> dict:
    """The segment job's model inputs (log1p counts, money and minutes, standardised) and its k
    scan (the same function, on the same bounded sample size), then scikit-learn KMeans of the
    chosen k over every person on one machine (the job: Lloyd's iterations in Spark)."""
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    from alliance_pipeline.config import pipeline_config
    from alliance_pipeline.segmentation.kmeans import (
        LOG1P_INPUTS,
        MODEL_COLUMNS,
        split_half_stability,
    )

    p = pipeline_config().segmentation
    f = pd.read_parquet(features_dir)
    for column, raw in LOG1P_INPUTS.items():
        f[column] = np.log1p(f[raw].astype(float))
    x = StandardScaler().fit_transform(np.nan_to_num(f[list(MODEL_COLUMNS)].astype(float)))
    rng = np.random.default_rng(p.seed)
    sample = x[rng.permutation(len(x))[: p.scan_sample]]
    stabilities = {
        k: split_half_stability(sample, k, p.seed, p.stability_splits, p.restarts)
        for k in range(p.k_min, min(p.k_max, len(sample) // 2) + 1)
    }
    k = max(stabilities, key=lambda c: (round(stabilities[c], 2), c))
    model = KMeans(k, n_init=p.restarts, random_state=p.seed, max_iter=p.max_iter).fit(x)
    return {"persons": len(x), "k": k, "cost": float(model.inertia_)}


def stage_grid(lake: Path, dt: str) -> tuple[list[dict], dict]:
    """(the grid the recommend stage fitted tonight, [] when it did not: not a tuning night, or
    nobody to judge on the validation days; the values its night's model used), from its
    ``curated/rec_tuning`` partition of ``dt``."""
    folder = paths.partition(paths.REC_TUNING, lake, run_date=dt)
    rows = duckdb.sql(
        f"SELECT rank, reg_param, alpha, chosen, tuned_on = DATE '{dt}' AS tonight, persons "
        f"FROM '{folder}/*.parquet' ORDER BY rank, reg_param, alpha"
    ).fetchall()
    points = [{"rank": r, "reg": g, "alpha": a} for r, g, a, *_ in rows]
    used = next(p for p, row in zip(points, rows, strict=True) if row[3])
    grid = [(p, row) for p, row in zip(points, rows, strict=True) if row[4]]
    fitted = any(row[5] > 0 for _, row in grid)  # the stage fits the grid only then
    return ([p for p, _ in grid] if fitted else [], used)


def _judged(pairs: pd.DataFrame, fit_parts: tuple, judge_part: int) -> tuple[pd.DataFrame, dict]:
    """(the pairs of ``fit_parts``, summed per user and item; each user's items first touched
    in ``judge_part``, for users known in the fitted pairs)."""
    fit = pairs[pairs["part"].isin(fit_parts)]
    seen = fit.groupby("user")["item"].agg(set)
    judged = pairs[(pairs["part"] == judge_part) & pairs["user"].isin(seen.index)]
    relevant = {u: r for u, g in judged.groupby("user")["item"] if (r := set(g) - seen[u])}
    return fit.groupby(["user", "item"], as_index=False)["confidence"].sum(), relevant


def implicit_als(lake: Path, dt: str) -> dict:
    """Interactions by DuckDB SQL, then `implicit` ALS doing the stage's own work of the night,
    as recommendation_bench.run_implicit does it. When the stage fitted its tuning grid tonight
    (its rec_tuning partition says so), the same grid, each point fitted on the same days and judged by NDCG@k on
    the same validation days; then one model of the best point (the stage's values on other
    nights) on the days before the holdout, judged on the persons' new holdout items."""
    from recommendation_bench import run_implicit
    from threadpoolctl import threadpool_limits

    from alliance_pipeline.config import pipeline_config

    p = pipeline_config().recommendation
    last = datetime.date.fromisoformat(dt)
    cutoff = last - datetime.timedelta(days=p.holdout_days)
    sql = INTERACTIONS_SQL.format(
        orders=CLEAN.format(folder=paths.path(paths.clean("orders"), lake)),
        events=CLEAN.format(folder=paths.path(paths.clean("events"), lake)),
        dt=dt,
        first=last - datetime.timedelta(days=p.lookback_days - 1),
        cutoff=cutoff,
        validation=cutoff - datetime.timedelta(days=p.tuning.validation_days),
        weights=", ".join(f"('{k}', {float(w)})" for k, w in sorted(p.event_weights.items())),
    )
    pairs = duckdb.sql(sql).df()
    pairs["user"], _ = pd.factorize(pairs["person_key"])
    pairs["item"], items = pd.factorize(pairs["content_id"])
    n_users, n_items = int(pairs["user"].max()) + 1, len(items)
    grid, used = stage_grid(lake, dt)
    searched = []
    with threadpool_limits(1, "blas"):  # implicit's own threads; BLAS threads fight them
        if grid:
            fit_on, validation = _judged(pairs, (0,), 1)
            for point in grid:
                args = argparse.Namespace(**point, iters=p.max_iter, k=p.k, seed=p.seed)
                scores = run_implicit(fit_on, validation, args, n_users, n_items, everyone=False)[2]
                searched.append({**point, "ndcg": scores["ndcg"]})
            best = max(searched, key=lambda s: (s["ndcg"], -searched.index(s)))
            used = {h: best[h] for h in ("rank", "reg", "alpha")}
        train, relevant = _judged(pairs, (0, 1), 2)
        args = argparse.Namespace(**used, iters=p.max_iter, k=p.k, seed=p.seed)
        _, _, holdout_metrics = run_implicit(train, relevant, args, n_users, n_items)
    return {
        "pairs": len(pairs.drop_duplicates(["user", "item"])),
        "users": n_users,
        "items": n_items,
        "grid": searched,
        "params": used,
        **holdout_metrics,
    }


def settlement_sql(lake: Path, dt: str) -> dict:
    """settlement_bench's DuckDB SQL (partner choice, net revenue, fx, contract-period totals;
    campaign-day delivery) over the night's clean zone."""
    from settlement_bench import DAILY_SQL, SQL

    con = duckdb.connect()
    totals = con.execute(SQL.format(root=lake, dt=dt)).fetchall()
    daily = con.execute(DAILY_SQL.format(root=lake, dt=dt)).fetchall()
    return {"contract_periods": len(totals), "campaign_days": len(daily)}
