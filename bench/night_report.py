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
    "(it fits twice, as the job: holdout model and published model), the SQL has no split, rate "
    "models or statement lines. Their library imports are not timed; the stages' JVM starts are "
    "(see the column net of Spark overhead). No baseline for validate (see validation.md), "
    "deidentify (see pseudonymise.md), features or publish."
)


def _stage_row(name: str, s: dict, b: dict | None) -> str:
    cells = [
        name,
        f"{s['seconds']:.2f}",
        f"{s['rows_in']:,}",
        f"{s['rows_per_s']:,}",
        f"{s['bench_peak_rss_mb']} / {s['children_peak_rss_mb']}",
        str(s.get("net_of_spark_overhead_s", "")),
        str(s["load_1min"]),
    ]
    if b:
        cells += [
            b["what"],
            f"{b['seconds']:.2f}",
            f"{b['rows_per_s']:,}",
            f"{b['bench_peak_rss_mb']}",
            f"**{s['ratio_to_baseline']}**",
        ]
    else:
        cells += ["none", "", "", "", ""]
    return "| " + " | ".join(cells) + " |"


def _run(run: dict) -> list[str]:
    g, setup, over = run["generated"], run["setup_s"], run["spark_overhead"]
    stages, baselines = run["stages"], run["baselines"]
    ndcg = stages["recommend"]["ndcg"]
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
        "| stage | s | rows in | rows/s | peak RSS MB, bench / started | s net of Spark overhead "
        "| load | baseline | baseline s | baseline rows/s | baseline peak RSS MB | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *[_stage_row(n, stages[n], baselines.get(n)) for n in STAGES],
        f"| **night** | **{run['night_s']:.1f}** | | | | | | | | | | |",
        "",
        f"Segments: Spark chose k={stages['segment']['k']}, scikit-learn "
        f"k={baselines['segment']['k']}. Recommendations, NDCG@10 on the holdout day: Spark ALS "
        f"{ndcg.get('als')}, popularity {ndcg.get('popularity')}, implicit "
        f"{baselines['recommend']['ndcg']:.4f}; the night's lists published: "
        f"{stages['publish']['recommendations']['published']}.",
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
        f"sources. Run: `{result['command']}` on {result['machine']}; "
        f"{result['wall_s'] / 60:.1f} min for both scales, setup and baselines included.",
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
    for run in result["runs"]:
        md += _run(run)
    if len(result["runs"]) == 2:
        big, half = result["runs"]
        md += [
            "",
            "## Time at the scale over time at half of it",
            "",
            f"| stage | s at {big['scale']:g} | s at {half['scale']:g} | ratio |",
            "|---|---|---|---|",
        ]
        for name in STAGES:
            a, b = big["stages"][name]["seconds"], half["stages"][name]["seconds"]
            md.append(f"| {name} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
    return "\n".join([*md, "", NOTES, ""])
