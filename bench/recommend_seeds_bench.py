"""NDCG@10 of the recommend stage and of `implicit` over several seeds, on a kept night.

    .venv/bin/python bench/recommend_seeds_bench.py /tmp/nb01/scale-0.1 --seeds 42 1 2 3

One seed is one number: how far the stage's NDCG and the baseline's move with the random start
of their factors says whether a gap between them on one night is the models' or the seed's. For
each seed the night's recommend stage and its baseline run again as ``night_bench.py
--recommend-again`` does (the DAG's own spark-submit, the same holdout), with
``recommendation.seed`` set to it in a copy of the pipeline config (the baseline takes the same
seed). The night bench's results file is left as it was. Writes
bench/results/recommend_seeds.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
NIGHT = ("night.json", "night.md")


def one_seed(folder: Path, days: int, seed: int, tmp: Path) -> dict:
    from alliance_pipeline.config import config_file

    config = yaml.safe_load(config_file().read_text(encoding="utf-8"))
    config["recommendation"]["seed"] = seed
    path = tmp / f"pipeline-{seed}.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    cmd = [sys.executable, str(ROOT / "bench" / "night_bench.py"), "--days", str(days)]
    subprocess.run(
        [*cmd, "--recommend-again", str(folder)],
        check=True,
        env={**os.environ, "ALLIANCE_PIPELINE_CONFIG": str(path)},
    )
    scale = float(folder.name.removeprefix("scale-"))
    result = json.loads((RESULTS / "night.json").read_text())
    run = next(r for r in result["runs"] if r["scale"] == scale)
    stage, base = run["stages"]["recommend"], run["baselines"]["recommend"]
    return {
        "seed": seed,
        "als": stage["ndcg"]["als"],
        "popularity": stage["ndcg"].get("popularity"),
        "implicit": round(base["ndcg"], 4),
        "params": base["params"],
    }


def report(r: dict) -> str:
    lines = [
        "# Recommend over seeds",
        "",
        f"The kept night `{r['folder']}` (scale {r['scale']:g}): the recommend stage and its "
        "`implicit` baseline fitted again with each seed (`recommendation.seed`, both), the "
        "same split and hyper-parameters; NDCG@10 on the holdout day.",
        "",
        "| seed | Spark ALS | implicit | ALS - implicit | popularity |",
        "|---|---|---|---|---|",
    ]
    for s in r["seeds"]:
        diff = round(s["als"] - s["implicit"], 4)
        lines.append(f"| {s['seed']} | {s['als']} | {s['implicit']} | {diff} | {s['popularity']} |")
    for name in ("als", "implicit", "difference"):
        st = r["spread"][name]
        lines.append(f"| {name}: mean / sd / range | {st['mean']} / {st['sd']} / {st['range']} |")
    lines += ["", f"Hyper-parameters: {json.dumps(r['seeds'][0]['params'])}.", ""]
    return "\n".join(lines)


def spread(values: list[float]) -> dict:
    return {
        "mean": round(statistics.mean(values), 4),
        "sd": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
        "range": round(max(values) - min(values), 4),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a scale folder a night bench run kept (--home)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3])
    ap.add_argument("--days", type=int, default=2)
    args = ap.parse_args(argv)
    folder = args.folder.resolve()
    kept = {n: (RESULTS / n).read_text() for n in NIGHT}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            seeds = [one_seed(folder, args.days, s, Path(tmp)) for s in args.seeds]
    finally:
        for n, text in kept.items():
            (RESULTS / n).write_text(text)
    result = {
        "folder": str(folder),
        "scale": float(folder.name.removeprefix("scale-")),
        "seeds": seeds,
        "spread": {
            "als": spread([s["als"] for s in seeds]),
            "implicit": spread([s["implicit"] for s in seeds]),
            "difference": spread([s["als"] - s["implicit"] for s in seeds]),
        },
    }
    (RESULTS / "recommend_seeds.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "recommend_seeds.md").write_text(report(result))
    print(report(result))


if __name__ == "__main__":
    main()
