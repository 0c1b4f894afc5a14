"""Night bench: the whole nightly pipeline, stage by stage, at a fraction of the reference scale
and at half of it, beside plain single-machine baselines in the same run.

    .venv/bin/python bench/night_bench.py --scale 0.002 --days 2

Reference (--scale 1): 1,000,000 persons, 20,000,000 events and 1,000,000 orders delivered over a
90-day window (the look-back of segments and recommendations) by every active source of
the registry (``--registry``; by default bench/sources_reference.yml: the 6 sources of
config/sources.yml and 4 sample partners, the reference's 10). The generator's activity rates are set, after
a small pilot, so that ``--days`` nights hold scale x those totals: with fewer days than 90 the
window's volume comes in fewer, larger nights. The nights before the last are landed and
de-identified as setup; the last night is measured through what the DAG's tasks call
(alliance_pipeline.tasks.nightly; the Spark jobs through the DAG's own SparkSubmitOperators and the
spark_default connection): ingest, validate, deidentify, features, segment, recommend, settlement
(+ metrics, with its marts), publish (every other warehouse load and the run record).

Per stage: wall seconds, rows in, rows/s, peak RSS of the bench process and, apart, of the
processes the stage started (spark-submit, its JVM and Python workers: their sum and the largest
one), sampled with psutil.
The fixed cost of one spark-submit (a job that starts a session and counts one row) is measured
apart. Baselines (bench/night_baselines.py): boto3 download, scikit-learn KMeans, `implicit`
ALS, DuckDB SQL settlement. Writes bench/results/night.json and bench/results/night.md.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager, suppress
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import night_baselines as base
import night_report
import psutil
import validation_sql
from pseudonymise_bench import openssl_ceiling

from alliance_pipeline.lake import paths

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REFERENCE = {
    "sources": 10,
    "persons": 1_000_000,
    "events": 20_000_000,
    "orders": 1_000_000,
    "window_days": 90,
}
END = datetime.date(2026, 11, 23)
# The DAG's models task runs each stage here on its own (jobs/models.py --stages), one
# spark-submit each, so that the stages are measured apart.
SPARK_TASKS = {"features": "models", "segment": "models", "recommend": "models"}
TRIVIAL_JOB = (
    "from alliance_pipeline.spark_session import job_session\n"
    "job_session('alliance-bench-overhead').range(1).count()\n"
)
MB = 1 << 20


class TreeMemory:
    """Peak RSS of this process and, apart, of the processes started since the last reset:
    their sum and the largest one (sampled every ``interval`` s; the S3 server, started earlier,
    is left out)."""

    def __init__(self, interval: float = 0.1):
        self.me = psutil.Process()
        self.interval = interval
        self.lock = threading.Lock()
        self.reset()
        threading.Thread(target=self._run, daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.before = {p.pid for p in self.me.children(recursive=True)}
            self.own = self.children = self.largest = 0

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            own, kids = self.me.memory_info().rss, []
            for p in self.me.children(recursive=True):
                if p.pid not in self.before:
                    with suppress(psutil.Error):  # it ended meanwhile
                        kids.append(p.memory_info().rss)
            with self.lock:
                self.own = max(self.own, own)
                self.children = max(self.children, sum(kids))
                self.largest = max(self.largest, max(kids, default=0))

    def peaks_mb(self) -> tuple[int, int, int]:
        """This process, the started processes together, the largest started process."""
        with self.lock:
            own = max(self.own, self.me.memory_info().rss)
            return round(own / MB), round(self.children / MB), round(self.largest / MB)


CONSOLE = [sys.stdout]


def say(text: str) -> None:
    print(f"[night-bench] {text}", file=CONSOLE[-1], flush=True)


@contextmanager
def output_to(path: Path):
    """Everything written to stdout and stderr (task logs, Spark, tracebacks) goes to ``path``;
    say() still prints to the console."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    CONSOLE.append(os.fdopen(os.dup(1), "w", buffering=1))
    with path.open("a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            CONSOLE.pop().close()


def calibrated(scale: float, days: int, seed: int):
    """A GeneratorConfig whose ``days`` nights hold scale x the reference events and orders
    (rates corrected by a pilot of at most 5,000 persons: sources differ in membership and
    activity)."""
    from alliance_pipeline.generator import GeneratorConfig, generate

    persons = max(1, round(REFERENCE["persons"] * scale))
    rate = {k: REFERENCE[k] / REFERENCE["persons"] / days for k in ("events", "orders")}
    pilot = GeneratorConfig(
        persons=min(persons, 5000),
        days=days,
        end_date=END,
        seed=seed,
        events_per_person_day=rate["events"],
        orders_per_person_day=rate["orders"],
    )
    got = dict.fromkeys(rate, 0)
    for d in generate(pilot).deliveries:
        if d.dataset in got:
            got[d.dataset] += d.table.num_rows
    fix = {k: rate[k] * pilot.persons * days / got[k] for k in rate}
    return GeneratorConfig(
        persons=persons,
        days=days,
        end_date=END,
        seed=seed,
        events_per_person_day=rate["events"] * fix["events"],
        orders_per_person_day=rate["orders"] * fix["orders"],
    )


def nightly_dag():
    """The alliance_nightly DAG as its file builds it (no metadata database needed)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags" / "alliance_nightly.py")).dags["alliance_nightly"]


def spark_submit(op, args: list[str]) -> None:
    """Execute a SparkSubmitOperator with its arguments rendered for the night."""
    op.application_args = args
    op._hook = None
    op.execute(context={})


def count(sql: str) -> int:
    return duckdb.sql(sql).fetchall()[0][0]


def maybe_count(sql: str) -> int | None:
    """count(sql), or None when what it reads is not there (the stage that writes it failed)."""
    try:
        return count(sql)
    except duckdb.Error:
        return None


def clean_rows(lake: Path, name: str, dt: str, first: datetime.date | None = None) -> int:
    since = f" AND dt >= DATE '{first}'" if first else ""
    table = base.CLEAN.format(folder=paths.path(paths.clean(name), lake))
    return count(f"SELECT count(*) FROM {table} WHERE dt <= DATE '{dt}'{since}")


def mart_rows(wh) -> int:
    tables = wh.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'mart' "
        "AND table_type = 'BASE TABLE'"
    )
    return sum(wh.query(f"SELECT count(*) FROM mart.{t}")[0][0] for (t,) in tables)


class Night:
    """One scale: setup, the measured night and the baselines; figures in ``self.out``."""

    def __init__(self, scale: float, days: int, seed: int, home: Path, memory: TreeMemory):
        self.scale, self.days, self.seed, self.home, self.memory = scale, days, seed, home, memory
        self.dt = END.isoformat()
        self.run_id = f"night_bench__{self.dt}"
        self.stages: dict[str, dict] = {}
        self.baselines: dict[str, dict] = {}
        self.out: dict = {
            "scale": scale,
            "days": days,
            "night": self.dt,
            "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }

    @contextmanager
    def measured(self, table: dict | None, name: str, submits: int = 0):
        """Time a step into ``table[name]`` (None: not kept); the body sets ``rows_in``. A kept
        step that fails is recorded as failed (traceback in the log) and the night goes on."""
        row = {"spark_submits": submits}
        self.memory.reset()
        started = time.perf_counter()
        try:
            yield row
        except Exception as exc:
            if table is None:
                raise
            traceback.print_exc()
            row["failed"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            say(f"  {name} FAILED: {row['failed'][:120]}")
        finally:
            row["seconds"] = round(time.perf_counter() - started, 3)
        (
            row["bench_peak_rss_mb"],
            row["children_peak_rss_mb"],
            row["largest_child_rss_mb"],
        ) = self.memory.peaks_mb()
        row["load_1min"] = round(os.getloadavg()[0], 1)  # other work on the machine
        if "rows_in" in row and "failed" not in row:
            row["rows_per_s"] = round(row["rows_in"] / row["seconds"])
        if table is not None:
            table[name] = row
            kind = "baseline " if table is self.baselines else ""
            say(f"  {kind}{name}: {row['seconds']:.1f}s, load {row['load_1min']}")

    def land(self, night: str, timed: bool) -> list[dict]:
        """Ingest, then validate, every delivery of ``night``, reference datasets first."""
        from alliance_pipeline.tasks import nightly

        plan = nightly.plan_batches(night)
        batches = plan["reference"] + plan["facts"]
        interval_end = datetime.datetime.combine(
            datetime.date.fromisoformat(night) + datetime.timedelta(days=1),
            datetime.time(2, 30),
            ZoneInfo("Asia/Shanghai"),
        )
        table = self.stages if timed else None
        with self.measured(table, "ingest") as row:
            row["rows_in"] = sum(nightly.ingest(b, self.run_id)["rows"] for b in batches)
        with self.measured(table, "validate") as row:
            checked = [nightly.validate(b, self.run_id, interval_end) for b in batches]
            row["rows_in"] = sum(b["rows_passed"] + b["rows_quarantined"] for b in checked)
            row["rows_quarantined"] = sum(b["rows_quarantined"] for b in checked)
        if timed:
            lake = Path(os.environ["ALLIANCE_LAKE_ROOT"])
            with self.measured(self.baselines, "validate") as row:
                row["what"] = "the same row checks in DuckDB SQL"
                done = [
                    validation_sql.validate(
                        lake,
                        b["source"],
                        b["dataset"],
                        night,
                        interval_end,
                        self.home / "sql_validate" / b["source"] / b["dataset"],
                    )
                    for b in batches
                ]
                row["rows_in"] = sum(d["rows_in"] for d in done)
                row["rows_quarantined"] = sum(d["rows_quarantined"] for d in done)
        self.out["deliveries_per_night"] = len(batches)
        return checked

    def run(self, overrides: dict[str, str], endpoint, land_only: bool = False) -> dict:
        import jinja2

        from alliance_pipeline.generator import run_to
        from alliance_pipeline.tasks import nightly

        lake, bucket = Path(overrides["ALLIANCE_LAKE_ROOT"]), overrides["ALLIANCE_LANDING_BUCKET"]
        setup = self.out["setup_s"] = {}
        cfg = calibrated(self.scale, self.days, self.seed)
        started = time.perf_counter()
        truth = run_to(cfg, s3_client=endpoint.client(), bucket=bucket)
        setup["generate"] = round(time.perf_counter() - started, 2)
        rows: dict[str, int] = {}
        for d in truth.deliveries:
            rows[d["dataset"]] = rows.get(d["dataset"], 0) + d["rows"]
        self.out["generated"] = {
            "persons": cfg.persons,
            "rows": rows,
            "events_per_person_day": round(cfg.events_per_person_day, 4),
            "orders_per_person_day": round(cfg.orders_per_person_day, 5),
        }
        say(f"scale {self.scale}: generated {sum(rows.values()):,} rows in {setup['generate']}s")

        dag = nightly_dag()
        ops = {stage: dag.get_task(task_id) for stage, task_id in SPARK_TASKS.items()}
        macros = dag.user_defined_macros
        args = [jinja2.Template(a).render(**macros) for a in nightly.spark_job_args(self.dt)]
        started = time.perf_counter()
        nightly.prepare_warehouse()
        setup["prepare_warehouse"] = round(time.perf_counter() - started, 2)
        self.spark_overhead(ops["features"])
        for module in ("implicit.als", "sklearn.cluster", "sklearn.metrics"):
            importlib.import_module(module)  # the baselines' imports are not timed (JVM starts are)

        started = time.perf_counter()
        for back in range(self.days - 1, 0, -1):
            night = (END - datetime.timedelta(days=back)).isoformat()
            self.land(night, timed=False)
            nightly.deidentify(night)
        setup["history_nights"] = round(time.perf_counter() - started, 2)

        say(f"scale {self.scale}: the night of {self.dt}")
        checked = self.land(self.dt, timed=True)
        self.download(endpoint, bucket)
        if land_only:
            return self.out
        with self.measured(self.stages, "deidentify", submits=1) as row:
            nightly.deidentify(self.dt)
            row["rows_in"] = sum(b["rows_passed"] for b in checked)
        with self.measured(self.baselines, "deidentify") as row:
            row["what"] = "openssl speed -hmac sha256, one HMAC per row, both cores"
            row["hmac_per_s"] = round(openssl_ceiling(psutil.cpu_count(), 3))
            row["rows_in"] = self.stages["deidentify"]["rows_in"]
        row["seconds"] = round(row["rows_in"] / row["hmac_per_s"], 3)
        row["rows_per_s"] = row["hmac_per_s"]
        self.models(lake, ops, args)
        self.settlement(lake)
        self.publish()

        overhead = self.out["spark_overhead"]["seconds"]
        for name, row in self.stages.items():
            if row["spark_submits"]:
                row["net_of_spark_overhead_s"] = round(
                    row["seconds"] - row["spark_submits"] * overhead, 3
                )
            base_row = self.baselines.get(name, {})
            if base_row and "failed" not in row and "failed" not in base_row:
                row["ratio_to_baseline"] = round(
                    row["seconds"] / self.baselines[name]["seconds"], 2
                )
        self.out["stages"], self.out["baselines"] = self.stages, self.baselines
        self.out["night_s"] = round(sum(r["seconds"] for r in self.stages.values()), 2)
        return self.out

    def spark_overhead(self, like) -> None:
        """One spark-submit of a trivial job with the connection and conf of the DAG's jobs."""
        from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

        job = self.home / "overhead_job.py"
        job.write_text(TRIVIAL_JOB)
        spark_overhead = SparkSubmitOperator(
            task_id="spark_overhead",
            application=str(job),
            conn_id=like._conn_id,
            conf=like.conf,
            name="alliance-bench-overhead",
        )
        with self.measured(self.out, "spark_overhead", submits=1):
            spark_submit(spark_overhead, [])

    def download(self, endpoint, bucket: str) -> None:
        with self.measured(self.baselines, "ingest") as row:
            row["what"] = "boto3 download of the night's objects"
            shutil.rmtree(self.home / "download", ignore_errors=True)
            row["bytes"] = base.download(
                endpoint.client(), bucket, self.prefixes(), self.home / "download"
            )
            row["rows_in"] = self.stages["ingest"]["rows_in"]

    def prefixes(self) -> list[str]:
        from alliance_pipeline.ingestion import manifest_key
        from alliance_pipeline.registry import source
        from alliance_pipeline.tasks.nightly import plan_batches

        plan = plan_batches(self.dt)
        return [
            manifest_key(source(b["source"]), b["dataset"], self.dt).rsplit("/", 1)[0] + "/"
            for b in plan["reference"] + plan["facts"]
        ]

    def models(self, lake: Path, ops: dict, args: list[str]) -> None:
        facts, persons = self.model_rows(lake)
        with self.measured(self.stages, "features", submits=1) as row:
            spark_submit(ops["features"], [*args, "--stages", "features"])
            row["rows_in"] = facts + persons
        features = paths.partition(paths.FEATURES, lake, run_date=self.dt)
        feature_rows = maybe_count(f"SELECT count(*) FROM '{features}/*.parquet'")
        with self.measured(self.stages, "segment", submits=1) as row:
            spark_submit(ops["segment"], [*args, "--stages", "segment"])
            row["rows_in"] = feature_rows
        profile = paths.partition(paths.SEGMENT_PROFILE, lake, run_date=self.dt)
        row["k"] = maybe_count(f"SELECT max(k) FROM '{profile}/*.parquet'")
        with self.measured(self.baselines, "segment") as row:
            row["what"] = "scikit-learn KMeans, k by the same stability scan"
            row.update(base.kmeans(features), rows_in=feature_rows)
        self.recommend(lake, ops["recommend"], args)

    def model_rows(self, lake: Path) -> tuple[int, int]:
        """(clean events of the window + clean orders, persons): the models' rows in."""
        first = END - datetime.timedelta(days=REFERENCE["window_days"] - 1)
        persons_dir = paths.partition(paths.PERSONS, lake, dt=self.dt)
        return (
            clean_rows(lake, "events", self.dt, first) + clean_rows(lake, "orders", self.dt),
            count(f"SELECT count(*) FROM '{persons_dir}/*.parquet'"),
        )

    def recommend(self, lake: Path, op, args: list[str]) -> None:
        facts, persons = self.model_rows(lake)
        with self.measured(self.stages, "recommend", submits=1) as row:
            spark_submit(op, [*args, "--stages", "recommend"])
            row["rows_in"] = facts + persons
        evaluation = (
            f"'{paths.partition(paths.MODEL_EVALUATION, lake, run_date=self.dt)}/*.parquet'"
        )
        with suppress(duckdb.Error):  # none when the stage failed
            row["ndcg"] = dict(
                duckdb.sql(f"SELECT model, round(ndcg, 4) FROM {evaluation}").fetchall()
            )
        with self.measured(self.baselines, "recommend") as row:
            row["what"] = "DuckDB SQL interactions + implicit ALS"
            row.update(base.implicit_als(lake, self.dt), rows_in=facts)

    def settlement(self, lake: Path) -> None:
        from alliance_pipeline.tasks import nightly

        rows_in = sum(
            clean_rows(lake, n, self.dt) for n in ("orders", "events", "campaign_delivery")
        )
        with self.measured(self.stages, "settlement") as row:
            row["marts"] = nightly.settle(self.dt)
            row["rows_in"] = rows_in
        with self.measured(self.baselines, "settlement") as row:
            row["what"] = "DuckDB SQL of settlement_bench"
            row.update(base.settlement_sql(lake, self.dt), rows_in=rows_in)

    def publish(self) -> None:
        from alliance_pipeline.tasks import nightly
        from alliance_pipeline.warehouse import warehouse_from_airflow

        wh = warehouse_from_airflow()
        before = mart_rows(wh)
        plan = nightly.plan_batches(self.dt)
        with self.measured(self.stages, "publish") as row:
            nightly.publish_quality(self.dt)
            nightly.publish_identity(self.dt)
            nightly.publish_segments(self.dt)
            row["recommendations"] = nightly.publish_recommendations(self.dt)
            nightly.write_audiences(self.dt)
            nightly.summarise(
                self.dt,
                self.run_id,
                "alliance_nightly",
                plan["reference"] + plan["facts"],
                datetime.datetime.now(datetime.UTC),
            )
        row["rows_in"] = mart_rows(wh) - before  # the rows it loaded
        row["rows_per_s"] = round(row["rows_in"] / row["seconds"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the reference scale")
    ap.add_argument(
        "--days",
        type=int,
        default=REFERENCE["window_days"],
        help="nights the window's volume is delivered in (at least 2)",
    )
    ap.add_argument("--no-half", action="store_true", help="skip the run at half the scale")
    ap.add_argument(
        "--scales",
        type=float,
        nargs="+",
        help="run these scales instead (results written after each), e.g. 0.1 1 0.5",
    )
    ap.add_argument(
        "--fresh", action="store_true", help="drop the results file's runs at other scales"
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--home", type=Path, help="working folder, kept (default: a temporary one)")
    ap.add_argument(
        "--registry",
        type=Path,
        default=ROOT / "bench" / "sources_reference.yml",
        help="source registry (default: the reference shape, 10 active sources)",
    )
    ap.add_argument(
        "--settle-again",
        type=Path,
        metavar="FOLDER",
        help="measure only the settlement stage and its baseline again, in this fresh process, "
        "on a scale folder a run kept (--home), and replace that scale's figures in the results",
    )
    ap.add_argument(
        "--recommend-again",
        type=Path,
        metavar="FOLDER",
        help="measure only the recommend stage and its baseline again, as --settle-again does",
    )
    ap.add_argument(
        "--land-again",
        type=Path,
        metavar="FOLDER",
        help="measure only ingest and validate and their baselines again, as --settle-again does",
    )
    ap.add_argument(
        "--land-only",
        action="store_true",
        help="run each scale's setup and night through validation only, and replace that scale's "
        "ingest and validate figures in the results (e.g. after a change to either)",
    )
    args = ap.parse_args(argv)
    os.environ["ALLIANCE_SOURCES"] = str(args.registry.resolve())
    if args.settle_again:
        return settle_again(args.settle_again.resolve(), args.days)
    if args.recommend_again:
        return recommend_again(args.recommend_again.resolve(), args.days)
    if args.land_again:
        return land_again(args.land_again.resolve(), args.days)
    from alliance_pipeline.local.airflow_home import local_airflow_environ
    from alliance_pipeline.local.demo import local_landing

    started = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory(prefix="night-bench-") as tmp:
        home = (args.home or Path(tmp)).resolve()
        home.mkdir(parents=True, exist_ok=True)
        say(f"logs: {home / 'night_bench.log'}")
        memory = TreeMemory()
        scales = args.scales or [args.scale] + ([] if args.no_half else [args.scale / 2])
        for scale in scales:
            folder = home / f"scale-{scale:g}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            saved = dict(os.environ)
            try:
                with (
                    output_to(home / "night_bench.log"),
                    local_landing(folder) as (endpoint, overrides),
                ):
                    os.environ.update(local_airflow_environ(home / "airflow", overrides))
                    night = Night(scale, args.days, args.seed, folder, memory)
                    runs.append(night.run(overrides, endpoint, args.land_only))
            finally:
                os.environ.clear()
                os.environ.update(saved)
            if args.land_only:
                result = json.loads((RESULTS / "night.json").read_text())
                run = next(r for r in result["runs"] if r["scale"] == scale)
                for stage in ("ingest", "validate"):
                    _replace_stage(result, run, night, stage, "--land-only")
            else:
                write_results(args, argv, runs, started)
    say(f"done in {(time.perf_counter() - started) / 60:.1f} min: {RESULTS / 'night.md'}")
    return 0


def _kept(folder: Path, days: int) -> tuple[dict, dict, Night]:
    """(results, the folder's run in them, a Night on it) for measuring a kept run's stage
    again in this process."""
    from alliance_pipeline.local.airflow_home import local_airflow_environ

    result = json.loads((RESULTS / "night.json").read_text())
    scale = float(folder.name.removeprefix("scale-"))
    run = next(r for r in result["runs"] if r["scale"] == scale)
    overrides = {
        "ALLIANCE_LAKE_ROOT": str(folder / "lake"),
        "ALLIANCE_WAREHOUSE_PATH": str(folder / "warehouse.duckdb"),
        "ALLIANCE_LANDING_BUCKET": "alliance-landing",
        "ALLIANCE_S3_ENDPOINT": "http://127.0.0.1:9",  # neither stage reads S3
    }
    os.environ.update(local_airflow_environ(folder.parent / "airflow", overrides))
    return result, run, Night(scale, days, 7, folder, TreeMemory())


def _replace_stage(result: dict, run: dict, night: Night, stage: str, flag: str) -> None:
    """A stage measured again replaces the run's figures, marked as measured apart."""
    row, base_row = night.stages[stage], night.baselines[stage]
    row["measured_apart"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    row["measured_apart_by"] = flag
    if row["spark_submits"]:
        overhead = run["spark_overhead"]["seconds"]
        row["net_of_spark_overhead_s"] = round(row["seconds"] - row["spark_submits"] * overhead, 3)
    if "failed" not in row and "failed" not in base_row:
        row["ratio_to_baseline"] = round(row["seconds"] / base_row["seconds"], 2)
    run["stages"][stage], run["baselines"][stage] = row, base_row
    run["night_s"] = round(sum(r["seconds"] for r in run["stages"].values()), 2)
    (RESULTS / "night.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (RESULTS / "night.md").write_text(night_report.markdown(result))
    say(f"{stage} at {run['scale']:g} measured again: {row['seconds']:.1f}s")


def settle_again(folder: Path, days: int) -> int:
    """The settlement stage of a kept run measured again (e.g. after its process failed there),
    its figures replacing the run's in the results file, marked as measured apart."""
    result, run, night = _kept(folder, days)
    night.settlement(folder / "lake")
    _replace_stage(result, run, night, "settlement", "--settle-again")
    return 0


def land_again(folder: Path, days: int) -> int:
    """Ingest and validate of a kept run's night (and their baselines) measured again on its
    kept landing, e.g. after a change to either, replacing the run's figures."""
    from alliance_pipeline.local.airflow_home import local_airflow_environ
    from alliance_pipeline.local.demo import local_landing
    from alliance_pipeline.tasks.nightly import plan_batches

    result, run, night = _kept(folder, days)
    del os.environ["ALLIANCE_S3_ENDPOINT"]  # the kept run's own SeaweedFS, started again
    with local_landing(folder) as (endpoint, overrides):
        os.environ.update(local_airflow_environ(folder.parent / "airflow", overrides))
        plan = plan_batches(night.dt)
        for b in plan["reference"] + plan["facts"]:  # an unchanged delivery is not taken again
            shutil.rmtree(paths.raw_partition(b["source"], b["dataset"], night.dt))
        night.land(night.dt, timed=True)
        night.download(endpoint, overrides["ALLIANCE_LANDING_BUCKET"])
    for stage in ("ingest", "validate"):
        _replace_stage(result, run, night, stage, "--land-again")
    return 0


def recommend_again(folder: Path, days: int) -> int:
    """The recommend stage of a kept run (and its baseline) measured again through the DAG's
    own spark-submit, e.g. after a change to the job, replacing the run's figures."""
    import jinja2

    from alliance_pipeline.tasks import nightly

    result, run, night = _kept(folder, days)
    dag = nightly_dag()
    args = [
        jinja2.Template(a).render(**dag.user_defined_macros)
        for a in nightly.spark_job_args(night.dt)
    ]
    night.recommend(folder / "lake", dag.get_task(SPARK_TASKS["recommend"]), args)
    _replace_stage(result, run, night, "recommend", "--recommend-again")
    return 0


def write_results(args, argv, runs: list[dict], started: float) -> None:
    """night.json/.md with ``runs`` and, unless --fresh, the earlier file's runs at other scales
    (each run says when it was measured)."""
    from alliance_pipeline.registry import active_sources

    earlier = []
    if not args.fresh and (RESULTS / "night.json").exists():
        done = {r["scale"] for r in runs}
        old = json.loads((RESULTS / "night.json").read_text())
        earlier = [r for r in old["runs"] if r["scale"] not in done and "measured_at" in r]
    command = " ".join(["bench/night_bench.py", *(sys.argv[1:] if argv is None else argv)])
    for run in runs:
        run.setdefault("command", command)
    result = {
        "reference": REFERENCE,
        "sources": len(active_sources()),
        "days": args.days,
        "command": command,
        "machine": f"{platform.machine()}, {psutil.cpu_count()} cores, Python "
        f"{platform.python_version()}, Spark local[2] (spark_default)",
        "wall_s": round(time.perf_counter() - started, 1),
        "runs": earlier + runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "night.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (RESULTS / "night.md").write_text(night_report.markdown(result))


if __name__ == "__main__":
    sys.exit(main())
