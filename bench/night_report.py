"""night.md from the figures of bench/night_bench.py."""

from __future__ import annotations

STAGES = (
    "ingest",
    "validate",
    "deidentify",
    "features",
    "segment",
    "recommend",
    "settlement",
    "publish",
)
NOTES = (
    "Rows in: ingest and validate, the night's delivered rows; deidentify, the rows that passed "
    "validation; features and recommend, clean events of the window + clean orders + persons; "
    "segment, feature rows; settlement, clean orders + events + campaign delivery up to the "
    "night; publish, the rows it loaded into the marts (quality, identity overlap, segments, "
    "recommendations, run record; settlement loads its own marts within its stage).\n\n"
    "Peak RSS: the bench process (it runs the Python stages and the baselines, so it carries what "
    "earlier stages imported) and, apart, the processes the stage started (spark-submit's JVM and "
    "its Python workers), sampled every 0.1 s. Load: the 1-minute load average at the end of the "
    "stage (the 2 cores are shared with other work; above 2, stages wait for a core).\n\n"
    "Baselines do less than the stages: the download checks nothing, KMeans keeps no stable ids "
    "and writes no profiles or chart, implicit has no exclusions, cross-brand quota or cold start "
    "(it does the stage's model work: when the stage fitted its tuning grid, the same grid judged on the same validation "
    "days, then one model of its best point; the stage's values on other nights), the SQL has no split, rate "
    "models or statement lines. Their library imports are not timed; the stages' JVM starts are "
    "(see the column net of Spark overhead). The validate baseline runs the same row checks in "
    "DuckDB SQL (no GX, band, personal-data rules or data docs; bench/validation_sql.py); the "
    "deidentify baseline is the machine's HMAC-SHA256 rate by `openssl speed` on both cores, one "
    "HMAC per row, computed, not run (no reading or writing). No baseline for features or publish."
)


def _grid(baseline: dict) -> str:
    """How the recommend baseline chose its values: its grid's NDCG, or the stage's values."""
    used = baseline.get("params")
    if not used:
        return ""
    values = f"rank {used['rank']}, reg {used['reg']:g}, alpha {used['alpha']:g}"
    if not baseline.get("grid"):
        return f" (the stage's values: {values})"
    return f" (after searching the stage's grid of {len(baseline['grid'])} points: {values})"


def _stage_row(name: str, s: dict, b: dict | None) -> str:
    failed = f" **failed**: {s['failed'][:160]}" if "failed" in s else ""
    if "measured_apart" in s:
        flag = s.get("measured_apart_by", "--settle-again")
        failed += f" (measured again apart, {s['measured_apart']}: `{flag}`)"
    cells = [
        name + failed,
        f"{s['seconds']:.2f}",
        f"{s.get('rows_in', 0):,}",
        f"{s.get('rows_per_s', 0):,}",
        f"{s['bench_peak_rss_mb']} / {s['children_peak_rss_mb']} / "
        f"{s.get('largest_child_rss_mb', 'n/a')}",
        str(s.get("net_of_spark_overhead_s", "")),
        str(s["load_1min"]),
    ]
    if b:
        cells += [
            b["what"],
            f"{b['seconds']:.2f}",
            f"{b.get('rows_per_s', 0):,}",
            f"{b['bench_peak_rss_mb']}",
            f"**{s.get('ratio_to_baseline', 'n/a')}**",
        ]
    else:
        cells += ["none", "", "", "", ""]
    return "| " + " | ".join(cells) + " |"


def _run(run: dict) -> list[str]:
    g, setup, over = run["generated"], run["setup_s"], run["spark_overhead"]
    stages, baselines = run["stages"], run["baselines"]
    ndcg = stages["recommend"].get("ndcg", {})
    return [
        "",
        f"## Scale {run['scale']:g}: {g['persons']:,} persons, {g['rows'].get('events', 0):,} "
        f"events, {g['rows'].get('orders', 0):,} orders, {g['rows'].get('users', 0):,} user "
        f"records in {run['days']} nights of {run['deliveries_per_night']} deliveries",
        "",
        f"Setup, not measured: generate {setup['generate']} s, warehouse migrations "
        f"{setup['prepare_warehouse']} s, the nights before {setup['history_nights']} s. "
        f"Spark fixed overhead, one spark-submit of a trivial job (JVM start, session, one row, "
        f"exit): **{over['seconds']:.1f} s**, peak RSS {over['children_peak_rss_mb']} MB, "
        f"load {over['load_1min']}.",
        "",
        "| stage | s | rows in | rows/s | peak RSS MB, bench / started (sum) / largest started "
        "| s net of Spark overhead "
        "| load | baseline | baseline s | baseline rows/s | baseline peak RSS MB | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *[_stage_row(n, stages[n], baselines.get(n)) for n in STAGES],
        f"| **night** | **{run['night_s']:.1f}** | | | | | | | | | | |",
        "",
        f"Segments: Spark chose k={stages['segment'].get('k')}, scikit-learn "
        f"k={baselines['segment'].get('k')}. Recommendations, NDCG@10 on the holdout day: Spark ALS "
        f"{ndcg.get('als')}, popularity {ndcg.get('popularity')}, implicit "
        f"{baselines['recommend'].get('ndcg', 0):.4f}{_grid(baselines['recommend'])}; the night's "
        "lists published: "
        f"{stages['publish'].get('recommendations', {}).get('published')}.",
    ]


def shape(result: dict) -> str:
    """How the run differs from the reference shape (10 sources, the window in 90 nights)."""
    ref = result["reference"]
    gaps = []
    if result["sources"] != ref["sources"]:
        gaps.append(
            f"the registry has {result['sources']} active sources, not {ref['sources']} (the "
            "same volume comes from fewer sources)"
        )
    if result["days"] != ref["window_days"]:
        gaps.append(
            f"the window's volume is delivered in {result['days']} nights instead of "
            f"{ref['window_days']}, so the measured night (the last) lands 1/{result['days']} of it"
        )
    done = "The nights before are landed and de-identified as setup."
    if not gaps:
        return f"The reference shape: {ref['sources']} active sources. {done}"
    return f"Not the reference shape: {'; '.join(gaps)}. {done}"


def markdown(result: dict) -> str:
    ref = result["reference"]
    md = [
        "# Night bench",
        "",
        f"Reference scale (--scale 1): {ref['persons']:,} persons, {ref['events']:,} events, "
        f"{ref['orders']:,} orders over a {ref['window_days']}-day window, {ref['sources']} "
        f"sources. On {result['machine']}. Runs: "
        + "; ".join(
            f"scale {r['scale']:g} by `{r.get('command', result['command'])}` at "
            f"{r.get('measured_at', '?')}"
            for r in result["runs"]
        )
        + f" (the last command took {result['wall_s'] / 60:.1f} min, setup and baselines "
        "included).",
        "",
        shape(result),
    ]
    loads = [
        row["load_1min"]
        for run in result["runs"]
        for table in (run["stages"], run["baselines"])
        for row in table.values()
    ]
    md += [
        "",
        f"1-minute load average at the ends of the stages: {min(loads)} to {max(loads)}. Above "
        "the core count, stage times include waiting for a core.",
    ]
    runs = sorted(result["runs"], key=lambda r: -r["scale"])
    md += targets(runs)
    for run in runs:
        md += _run(run)
    if len(runs) >= 2:
        big, small = runs[0], runs[-1]
        md += [
            "",
            f"## Time at {big['scale']:g} over time at {small['scale']:g} "
            f"(data x{big['scale'] / small['scale']:g})",
            "",
            f"| stage | s at {big['scale']:g} | s at {small['scale']:g} | ratio |",
            "|---|---|---|---|",
        ]
        for name in [*STAGES, "night"]:
            a, b = _seconds(big, name), _seconds(small, name)
            md.append(f"| {name} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
    return "\n".join([*md, "", NOTES, ""])


def _seconds(run: dict, name: str) -> float:
    return run["night_s"] if name == "night" else run["stages"][name]["seconds"]


def _peak_mb(run: dict) -> int:
    """The largest single process; runs measured before the largest was recorded give the sum of
    a stage's started processes, an upper bound."""
    return max(
        max(row["bench_peak_rss_mb"], row.get("largest_child_rss_mb", row["children_peak_rss_mb"]))
        for row in run["stages"].values()
    )


def _largest_recorded(run: dict) -> bool:
    return all("largest_child_rss_mb" in row for row in run["stages"].values())


def targets(runs: list[dict]) -> list[str]:
    """The issue's targets, each with the figure it is judged on and met or not."""
    big, small = runs[0], runs[-1]
    rows = [
        (
            f"night under 30 min at {big['scale']:g}",
            f"{big['night_s'] / 60:.1f} min",
            big["night_s"] < 1800,
        ),
        (
            f"peak RSS of any process under 8 GB at {big['scale']:g}",
            f"{_peak_mb(big):,} MB"
            + ("" if _largest_recorded(big) else " (a stage's processes summed: an upper bound)"),
            _peak_mb(big) < 8192,
        ),
    ]
    for run in runs:
        failed = [n for n, row in run["stages"].items() if "failed" in row]
        rows.append(
            (
                f"no stage failing at {run['scale']:g}",
                ", ".join(failed) or "none failed",
                not failed,
            )
        )
    for run in runs:
        for name in STAGES:
            ratio = run["stages"][name].get("ratio_to_baseline")
            if ratio is not None:
                rows.append(
                    (
                        f"{name} within 3x of its baseline at {run['scale']:g}",
                        f"{ratio}x",
                        ratio <= 3,
                    )
                )
    if len(runs) >= 2:
        grew, data = big["night_s"] / small["night_s"], big["scale"] / small["scale"]
        rows.append(
            (
                f"night from {small['scale']:g} to {big['scale']:g} grows at most x{data:g}",
                f"x{grew:.2f}",
                grew <= data,
            )
        )
    submits = sum(r["spark_submits"] for r in big["stages"].values())
    fixed = submits * big["spark_overhead"]["seconds"]
    rows.append(
        (
            f"Spark fixed start-up under 10% of the night at {big['scale']:g}",
            f"{submits} x {big['spark_overhead']['seconds']:.1f} s = "
            f"{100 * fixed / big['night_s']:.1f}%",
            fixed < 0.1 * big["night_s"],
        )
    )
    for run in runs:
        als = run["stages"]["recommend"].get("ndcg", {}).get("als") or 0
        imp = run["baselines"]["recommend"].get("ndcg", 0)
        rows.append(
            (
                f"NDCG@10 of ALS at least implicit's at {run['scale']:g}",
                f"{als} vs {imp:.4f}",
                als >= imp,
            )
        )
    return [
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *[f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in rows],
    ]
