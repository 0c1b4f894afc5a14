"""The recommender's lists as shipped, on the generator's world: what the gate judges and what
a person gets.

    .venv/bin/python bench/recommendation_world_bench.py --persons 8000 --days 45 [--no-tuning]

Builds the night's inputs from a generator world (bench/rec_world.py), runs the job's own
composition (alliance_pipeline.recommendation.run) for the last day with the configured
parameters (``--no-tuning``: the committed rank, reg_param, alpha; otherwise the configured
tuning grid, as a tuning night runs it), and reports the evaluation rows (als_shipped, als,
popularity, als_tuning), the share of the published items the person already engaged with in
the window, the list lengths, and the run's wall time. Writes
bench/results/recommendation_world.json and .md (one entry per tuning mode, kept beside the
other's).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

RESULTS = Path(__file__).resolve().parent / "results"
DS = "2026-11-23"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--persons", type=int, default=8000)
    p.add_argument("--days", type=int, default=45)
    p.add_argument("--no-tuning", action="store_true")
    p.add_argument("--master", default="local[2]")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    import pandas as pd
    from rec_world import world_frames
    from recommendation_bench import spark_session

    from alliance_pipeline.config import pipeline_config
    from alliance_pipeline.recommendation import indexing, interactions
    from alliance_pipeline.recommendation.run import run

    args = parse_args(argv)
    cfg = pipeline_config().recommendation
    tuning = cfg.tuning.override(every_days=0) if args.no_tuning else cfg.tuning
    params = cfg.override(lookback_days=args.days, holdout_days=1, tuning=tuning)
    spark = spark_session(args.master)
    f = world_frames(args.persons, args.days, datetime.date.fromisoformat(DS))
    frames = {k: spark.createDataFrame(v) for k, v in f.items() if k != "catalog"}
    catalog = spark.createDataFrame(
        f["catalog"], "content_id string, owner_source string, co_brand_partners string"
    )
    t0 = time.perf_counter()
    out = run(
        frames["events"],
        frames["orders"],
        catalog,
        frames["persons"],
        frames["segments"],
        spark.createDataFrame([], indexing.INDEX_SCHEMA),
        DS,
        params,
    )
    recs = out.recommendations.toPandas()
    wall = time.perf_counter() - t0
    weighted = interactions.weighted_events(
        frames["events"], frames["orders"], params.event_weights
    ).toPandas()
    spark.stop()
    seen = set(zip(weighted.person_key, weighted.content_id, strict=True))
    already = pd.Series(
        [(p, c) in seen for p, c in zip(recs.person_key, recs.content_id, strict=True)]
    )
    sizes = recs.groupby("person_key").size()
    result = {
        "persons": args.persons,
        "days": args.days,
        "catalog": len(f["catalog"]),
        "tuning": not args.no_tuning,
        "run_s": round(wall, 1),
        "evaluation": {
            m["model"]: {k: v for k, v in m.items() if k != "model"} for m in out.evaluation
        },
        "published_already_engaged_share": float(already.mean()),
        "published_persons": int(sizes.size),
        "published_list_lengths": {
            int(k): int(v) for k, v in sizes.value_counts().sort_index().items()
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    store = RESULTS / "recommendation_world.json"
    runs = json.loads(store.read_text()) if store.exists() else {}
    runs["tuned" if result["tuning"] else "committed"] = result
    store.write_text(json.dumps(runs, indent=2) + "\n")
    (RESULTS / "recommendation_world.md").write_text(_markdown(runs))
    print(json.dumps(result, indent=2))
    return result


def _markdown(runs: dict) -> str:
    lines = ["# Recommendations as shipped, generator world\n"]
    for name, r in runs.items():
        ev = r["evaluation"]
        lines += [
            f"\n## {name} hyper-parameters: {r['persons']} persons, {r['days']} days,"
            f" {r['catalog']} items; run {r['run_s']} s\n",
            "| list | persons | NDCG@k | precision@k | recall@k | coverage |",
            "|---|---|---|---|---|---|",
            *[
                f"| {m} | {e['persons']} | {e['ndcg']:.4f} | {e['precision']:.4f} |"
                f" {e['recall']:.4f} | {e['coverage']:.3f} |"
                for m, e in ev.items()
            ],
            "",
            f"Published items the person already engaged with: "
            f"{r['published_already_engaged_share']:.1%}; list lengths "
            f"{r['published_list_lengths']} over {r['published_persons']} persons.",
        ]
        if "als_tuning" in ev:
            lines.append(f"\nTuning: {ev['als_tuning']['params']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
