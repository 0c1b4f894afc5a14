"""Benchmark: the propensity job beside scikit-learn's LogisticRegression, same features and split.

    .venv/bin/python bench/propensity_bench.py --scale 0.01

A generator world of ``scale`` x the reference's 1,000,000 persons (bench/night_bench.py: the
generator's default rates give the reference's 20M events and 1M orders over 90 days; here
``--days``, by default the job's look-back, of them) with its planted campaign response is
written straight into the clean and curated layouts (alliance_pipeline.propensity.sample; set
up, not measured). Measured: the whole job (jobs/propensity.py: features at three cut-offs,
labels, both candidates, evaluation, scores; local Spark on every core), then, on the same
training and holdout pairs built by the package's transforms and collected, scikit-learn's
StandardScaler + LogisticRegression (the same L2 strength) fitted per target. Reported: holdout
ROC AUC of both per target (the job's logistic regression must reach 0.98 of scikit-learn's),
the job's wall time against building the features plus scikit-learn's fit and predict.
Writes bench/results/propensity.json and .md, keeping the figures of other scales.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.generator.config import GeneratorConfig
from alliance_pipeline.generator.world import build_world
from alliance_pipeline.lake import paths
from alliance_pipeline.propensity import sample
from alliance_pipeline.propensity.features import CATEGORICAL, NUMERIC
from alliance_pipeline.propensity.train import TARGETS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REFERENCE_PERSONS = 1_000_000
END = datetime.date(2026, 11, 23)
AUC_RATIO = 0.98


def load_job():
    spec = importlib.util.spec_from_file_location("propensity_job", ROOT / "jobs/propensity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def session():
    from pyspark.sql import SparkSession

    from alliance_pipeline.spark_session import SPARK_CONF

    return (
        SparkSession.builder.master("local[*]")
        .appName("alliance-propensity-bench")
        .config(map=dict(SPARK_CONF))
        .config("spark.driver.memory", "6g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def split_frames(spark, job, root: Path, params):
    """The job's training and holdout pairs (features and labels) as pandas frames."""
    from alliance_pipeline.propensity.features import features_at
    from alliance_pipeline.propensity.labels import with_labels
    from alliance_pipeline.propensity.run import cutoffs

    captured = {}
    original = job.run

    def capture(common, persons_at, dt, p, platform_sources, kept):
        captured.update(common=common, persons_at=persons_at, platform=platform_sources)
        return original(common, persons_at, dt, p, platform_sources, kept)

    job.run = capture
    started = time.perf_counter()
    job.main(["--dt", END.isoformat(), "--lake-root", str(root),
              *[f"--param={k}={json.dumps(v)}" for k, v in params.items()]])  # fmt: skip
    job_s = time.perf_counter() - started
    job.run = original
    cfg = pipeline_config().propensity.override(**params)
    started = time.perf_counter()
    frames = []
    for day in cutoffs(END, cfg.label_days):
        inputs = {**captured["common"], **captured["persons_at"][day]}
        f = features_at(day, cfg.history_days, cfg.label_days, inputs, captured["platform"])
        f = with_labels(f, inputs["events"], inputs["orders"], inputs["campaigns"], day,
                        cfg.label_days)  # fmt: skip
        frames.append(f.toPandas())
    return job_s, time.perf_counter() - started, frames, cfg


def sklearn_lr(train: pd.DataFrame, holdout: pd.DataFrame, reg_param: float) -> dict:
    both = pd.get_dummies(pd.concat([train, holdout])[list(CATEGORICAL)].astype(str))
    x = np.hstack(
        [pd.concat([train, holdout])[list(NUMERIC)].to_numpy(float), both.to_numpy(float)]
    )
    x_train, x_hold = x[: len(train)], x[len(train) :]
    started = time.perf_counter()
    scaler = StandardScaler().fit(x_train)
    aucs = {}
    for t in TARGETS:
        # Spark's objective: mean log loss + reg_param / 2 |w|^2 (on standardised features)
        model = LogisticRegression(C=1.0 / (reg_param * len(train)), max_iter=1000)
        model.fit(scaler.transform(x_train), train[t].to_numpy())
        aucs[t] = float(
            roc_auc_score(holdout[t], model.predict_proba(scaler.transform(x_hold))[:, 1])
        )
    return {"seconds": time.perf_counter() - started, "roc_auc": aucs}


def run(scale: float, days: int, seed: int, keep: Path | None) -> dict:
    persons = max(int(REFERENCE_PERSONS * scale), 500)
    folder = Path(tempfile.mkdtemp(prefix="propensity-bench-")) if keep is None else keep
    root = folder / "lake"
    cfg = pipeline_config().propensity
    params = {"lookback_days": min(days, cfg.lookback_days)}
    label = cfg.label_days
    started = time.perf_counter()
    world = build_world(GeneratorConfig(persons=persons, days=days, end_date=END, seed=seed))
    sample.write_clean(world, root)
    spark = session()
    cut = [END - datetime.timedelta(days=d) for d in (2 * label, label, 0)]
    sample.write_person_partitions(spark, world, root, cut, params["lookback_days"] - 2 * label)
    setup_s = time.perf_counter() - started
    job = load_job()
    job_s, features_s, (train, holdout), used = split_frames(spark, job, root, params)
    ev = pd.read_parquet(
        paths.partition(paths.PROPENSITY_EVALUATION, root, run_date=END.isoformat())
    )
    ev = ev.set_index(["target", "model"])
    base = sklearn_lr(train, holdout, used.reg_param)
    spark_auc = {t: float(ev.loc[(t, "logistic_regression"), "roc_auc"]) for t in TARGETS}
    result = {
        "scale": scale,
        "persons": persons,
        "days": days,
        "seed": seed,
        "train_pairs": len(train),
        "holdout_pairs": len(holdout),
        "holdout_positives": {t: int(holdout[t].sum()) for t in TARGETS},
        "setup_s": round(setup_s, 1),
        "job_s": round(job_s, 1),
        "features_collect_s": round(features_s, 1),
        "sklearn_fit_predict_s": round(base["seconds"], 2),
        "time_ratio_job_vs_features_plus_sklearn": round(job_s / (features_s + base["seconds"]), 2),
        "roc_auc": {
            t: {
                "job_logistic_regression": round(spark_auc[t], 4),
                "job_gbt": round(float(ev.loc[(t, "gbt"), "roc_auc"]), 4),
                "baseline": round(float(ev.loc[(t, "baseline"), "roc_auc"]), 4),
                "sklearn_logistic_regression": round(base["roc_auc"][t], 4),
                "ratio": round(spark_auc[t] / base["roc_auc"][t], 4),
            }
            for t in TARGETS
        },
        "chosen": [m for (_, m), c in ev["chosen"].items() if c][:1],
    }
    result["auc_ratio_ok"] = all(r["ratio"] >= AUC_RATIO for r in result["roc_auc"].values())
    spark.stop()
    if keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def write(result: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "propensity.json"
    runs = json.loads(path.read_text()) if path.exists() else {}
    runs = runs.get("runs", {}) if isinstance(runs, dict) else {}
    runs[str(result["scale"])] = {
        **result,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_1m": round(os.getloadavg()[0], 1)},
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    path.write_text(json.dumps({"runs": runs}, indent=2, sort_keys=True) + "\n")
    lines = [
        "# Propensity bench",
        "",
        "`bench/propensity_bench.py --scale S`: the propensity job (features at three cut-offs,",
        "labels, logistic regression and GBT per target, evaluation, scores) beside scikit-learn's",
        "LogisticRegression on the same collected training and holdout pairs. AUC ratio = job LR /",
        f"scikit-learn LR on the holdout (must be >= {AUC_RATIO}); time ratio = job wall / (building",
        "and collecting the same features + scikit-learn's fit and predict).",
        "",
        "| scale | persons | days | train / holdout pairs | holdout clicks / orders | job s | features + sklearn s | time ratio | click AUC job LR / GBT / sklearn / baseline | order AUC job LR / GBT / sklearn / baseline | AUC ratios | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for key in sorted(runs, key=float):
        r = runs[key]
        auc = r["roc_auc"]

        def cell(t, a=auc):
            x = a[t]
            return (f"{x['job_logistic_regression']} / {x['job_gbt']} / "
                    f"{x['sklearn_logistic_regression']} / {x['baseline']}")  # fmt: skip

        lines.append(
            f"| {r['scale']} | {r['persons']:,} | {r['days']} | {r['train_pairs']:,} / "
            f"{r['holdout_pairs']:,} | {r['holdout_positives']['click']} / "
            f"{r['holdout_positives']['order']} | {r['job_s']} | "
            f"{r['features_collect_s'] + r['sklearn_fit_predict_s']:.1f} | "
            f"{r['time_ratio_job_vs_features_plus_sklearn']} | {cell('click')} | {cell('order')} | "
            f"{auc['click']['ratio']} / {auc['order']['ratio']} | {r['machine']['load_1m']} |"
        )
    (RESULTS / "propensity.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.01, help="of 1,000,000 persons (1 = reference)")
    p.add_argument("--days", type=int, default=pipeline_config().propensity.lookback_days)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keep", type=Path, help="keep the lake in this folder")
    args = p.parse_args(argv)
    result = run(args.scale, args.days, args.seed, args.keep)
    write(result)
    print(json.dumps(result, indent=2))
    return 0 if result["auc_ratio_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
