"""The run killed with SIGKILL (the process, not an exception) in the middle of a warehouse
publish and in the middle of the de-identification Spark job, then rerun.

Each kill waits for an observable sign that the work is under way (PostgreSQL reports the COPY
of an open transaction, the DuckDB file grows with the rows of an uncommitted INSERT, Spark's
``_temporary`` folder appears). Afterwards readers see each partition whole, as before the kill
or as the killed run finished it, never part of one; the rerun ends where an uninterrupted run
does.
"""

from __future__ import annotations

import datetime
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from alliance_pipeline.privacy.pseudonym import KEY_ENV, VERSION_ENV
from alliance_pipeline.settings import PROJECT_ROOT
from alliance_pipeline.warehouse import open_warehouse
from tests.fixtures.postgres import admin_connection
from tests.unit._validated_zone import (
    FX_RATES,
    ORDERS,
    USERS,
    load_job,
    order,
    user,
    write_validated,
)

pytestmark = pytest.mark.integration


def start(command: list[str], log: Path | None = None, env: dict | None = None):
    """A child in its own process group (so that a kill reaches everything it started), its
    output in ``log`` or, without one, readable from ``child.stdout``."""
    with open(log, "wb") if log else nullcontext(subprocess.PIPE) as out:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(child: subprocess.Popen) -> None:
    """SIGKILL the child's whole process group, then wait until none of it is left running."""
    assert child.poll() is None, "the child ended before it could be killed"
    os.killpg(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    wait_until(lambda: not _running_in_group(child.pid), "the process group gone", timeout=30)


def _running_in_group(pgid: int) -> list[int]:
    found = []
    for p in psutil.process_iter(["status"]):
        try:
            if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(p.pid)
        except ProcessLookupError:
            pass
    return found


def wait_until(condition, what: str, child: subprocess.Popen | None = None, timeout=240.0):
    """Poll ``condition`` until it returns something true; fail if ``child`` ends first."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if child is not None:
            assert child.poll() is None, f"the child ended (rc {child.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no sign of {what} within {timeout:.0f} s"
        time.sleep(0.01)
    return found


def read_line(child: subprocess.Popen, timeout: float = 120.0) -> str:
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, "the child said nothing"
    line = child.stdout.readline().decode().strip()
    if not line.isidentifier():  # a traceback, not a word of the child
        child.wait(timeout=30)
        pytest.fail(f"the child failed:\n{line}\n{child.stdout.read().decode()}")
    return line


# --- (a) a publish to the warehouse ------------------------------------------------------------

TABLE = "mart.fct_settlement_line"
NOVEMBER = {"period": "2026-11", "statement_status": "open"}
OCTOBER = {"period": "2026-10", "statement_status": "open"}
PREVIOUS_ROWS = 1_000
# enough rows that the load runs for seconds; the kill comes at its first sign
BIG_ROWS = {"duckdb": 1_000_000, "postgres": 200_000}
DUCKDB_GROWTH = 1 << 20  # bytes of row groups written ahead of the commit

CHILD_PUBLISH = """
import sys
from tests.integration.test_crash_recovery import NOVEMBER, TABLE, settlement_lines
from alliance_pipeline.warehouse import open_warehouse

data = settlement_lines(NOVEMBER, int(sys.argv[2]), version=2)
print("publishing", flush=True)
open_warehouse(sys.argv[1]).replace_partition(TABLE, NOVEMBER, data)
print("published", flush=True)
"""


def settlement_lines(partition: dict, rows: int, version: int) -> pa.Table:
    """``rows`` order lines of one statement; ``version`` changes every order id and amount."""
    i = np.arange(rows, dtype=np.int64)
    cents = (i * 37 + version * 1009) % 9_000_000 + 100
    shares = cents * 3 // 10

    def money(c: np.ndarray) -> pa.Array:  # exact decimals from integer cents
        scaled = pa.array(c.astype(np.int32)).cast(pa.decimal128(12, 0))
        return scaled.view(pa.decimal128(12, 2)).cast(pa.decimal128(18, 2))

    def same(value, type_: pa.DataType | None = None) -> pa.Array:
        return pa.repeat(pa.scalar(value, type_ or pa.string()), rows)

    order_ids = pc.binary_join_element_wise(same(f"o{version}-"), pa.array(i).cast(pa.string()), "")
    return pa.table(
        {
            "period": same(partition["period"]),
            "partner_id": same("moonbay"),
            "contract_id": same("ct-moonbay"),
            "line_no": pa.array(i + 1, pa.int32()),
            "statement_status": same(partition["statement_status"]),
            "line_type": same("order"),
            "reason_code": pa.nulls(rows, pa.string()),
            "adjusts_period": pa.nulls(rows, pa.string()),
            "order_source": same("moonbay"),
            "order_id": order_ids,
            "campaign_id": same("cmp-1"),
            "order_date": same(datetime.date(2026, 11, 3), pa.date32()),
            "order_status": same("paid"),
            "order_currency": same("CNY"),
            "order_credit_amount": money(cents),
            "fx_rate": same(Decimal("1.000000"), pa.decimal128(18, 6)),
            "currency": same("CNY"),
            "net_amount": money(cents),
            "partner_share": money(shares),
            "platform_share": money(cents - shares),
        }
    )


def publish_previous_night(wh) -> None:
    for partition in (OCTOBER, NOVEMBER):
        wh.replace_partition(TABLE, partition, settlement_lines(partition, PREVIOUS_ROWS, 1))


def all_rows(wh) -> list[tuple]:
    return wh.query(f"SELECT * FROM {TABLE} ORDER BY period, partner_id, contract_id, line_no")


def fingerprint(wh) -> list[tuple]:
    """Rows and an order-independent hash of every row, per partition."""
    text = ", ".join(f"coalesce(CAST({c} AS TEXT), '<null>')" for c in wh.columns(TABLE))
    row_hash = {
        "duckdb": "hash(concat_ws('|', {}))",
        "postgres": "hashtextextended(concat_ws('|', {}), 0)",
    }
    return wh.query(
        f"SELECT period, statement_status, count(*), sum({row_hash[wh.dialect].format(text)})"
        f" FROM {TABLE} GROUP BY 1, 2 ORDER BY 1, 2"
    )


@pytest.fixture(params=["duckdb", "postgres"])
def new_warehouse_url(request, tmp_path):
    """Factory: the URL of a new, empty warehouse of the dialect."""
    if request.param == "postgres":
        return request.getfixturevalue("fresh_pg_url")
    files = iter(range(1_000))
    return lambda: f"duckdb:///{tmp_path / f'warehouse-{next(files)}.duckdb'}"


def copy_under_way(url: str):
    """PostgreSQL: the child's backend is in a COPY, inside a transaction that has written
    (its DELETE of the partition); returns (pid, rows copied so far)."""
    conn = admin_connection(url)

    def check():
        with conn.cursor() as cur:
            cur.execute(
                "SELECT a.pid, p.tuples_processed FROM pg_stat_progress_copy p"
                " JOIN pg_stat_activity a ON a.pid = p.pid"
                " WHERE p.datname = current_database() AND a.backend_xid IS NOT NULL"
                " AND a.xact_start IS NOT NULL AND p.tuples_processed > 0"
            )
            return cur.fetchone()

    return conn, check


def session_alive(conn, pid: int) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cur.fetchone() is not None


def test_publish_killed_mid_transaction(new_warehouse_url):
    url = new_warehouse_url()
    wh = open_warehouse(url)
    wh.migrate()
    publish_previous_night(wh)
    before = all_rows(wh)
    rows = BIG_ROWS[wh.dialect]
    child = start([sys.executable, "-c", CHILD_PUBLISH, url, str(rows)])
    try:
        assert read_line(child) == "publishing"
        if wh.dialect == "postgres":
            conn, copying = copy_under_way(url)
            pid, _ = wait_until(copying, "a COPY inside the transaction", child)
            # the transaction has deleted the partition, yet a reader still sees all of it
            assert all_rows(wh) == before
        else:
            path = Path(url.removeprefix("duckdb:///"))
            size = path.stat().st_size
            wait_until(lambda: path.stat().st_size > size + DUCKDB_GROWTH, "rows written", child)
        kill_group(child)
        rest = child.stdout.read().decode().splitlines()  # log lines of the hooks may follow
        assert "published" not in rest  # never got there
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    if wh.dialect == "postgres":
        wait_until(lambda: not session_alive(conn, pid), "the server ending the killed session")
        conn.close()

    assert all_rows(wh) == before  # the previous night, whole: nothing of the killed load

    assert wh.replace_partition(TABLE, NOVEMBER, settlement_lines(NOVEMBER, rows, 2)) == rows
    clean = open_warehouse(new_warehouse_url())
    clean.migrate()
    publish_previous_night(clean)
    clean.replace_partition(TABLE, NOVEMBER, settlement_lines(NOVEMBER, rows, 2))
    assert fingerprint(wh) == fingerprint(clean)
    assert [r[:3] for r in fingerprint(wh)] == [
        ("2026-10", "open", 1_000),
        ("2026-11", "open", rows),
    ]


# --- (b) the de-identification Spark job ---------------------------------------------------------

DS, NEXT_DAY = "2026-11-23", "2026-11-24"
KEY_ENVIRON = {KEY_ENV: "crash-test-key-0123456789abcdef", VERSION_ENV: "crash-1"}
CLEAN = ("users", "orders", "fx_rates")  # written in this order (contracts.DATASETS)
PARTS = (*(f"clean/{name}" for name in CLEAN), "identity/person_map", "curated/persons")


def deliver_night(root: Path, corrected: bool) -> None:
    """The validated zone of night DS; ``corrected`` is a re-delivery of the same night with one
    more user and order per source and one more exchange rate."""
    shutil.rmtree(root / "validated", ignore_errors=True)
    people = 21 if corrected else 20
    for source in ("platform", "moonbay"):
        users = [
            user(f"{source}-{i}", "李伟", f"+86 138{i:08d}", None, None, "free", i % 3 > 0, 23)
            for i in range(people)
        ]
        orders = [order(f"{source}-o{i}", f"{source}-{i}", 23) for i in range(people)]
        write_validated(root, "users", DS, source, users, USERS)
        write_validated(root, "orders", DS, source, orders, ORDERS)
    rates = [("USD", "7.100000"), ("EUR", "7.700000")][: 2 if corrected else 1]
    rows = [
        dict(date=datetime.date(2026, 11, 23), currency=c, cny_per_unit=Decimal(r))
        for c, r in rates
    ]
    write_validated(root, "fx_rates", DS, "platform", rows, FX_RATES)


def rows_text(rows) -> list[str]:
    return sorted(repr(tuple(r)) for r in rows)


def visible(spark, root: Path) -> dict[str, list[str]]:
    """What the lake's readers see of night DS, per partition: the settlement reader (pyarrow)
    for the clean zone, the next night's identity map lookup and the person reader (Spark)."""
    from pyspark.errors import AnalysisException

    from alliance_pipeline.lake import paths
    from alliance_pipeline.lake.arrow_io import read_clean_table
    from alliance_pipeline.lake.spark_io import previous_map, read_partition

    seen = {
        f"clean/{name}": rows_text(
            tuple(r.values()) for r in read_clean_table(root, name, DS).to_pylist()
        )
        for name in CLEAN
    }
    readers = {
        "identity/person_map": lambda: previous_map(spark, str(root), NEXT_DAY),
        "curated/persons": lambda: read_partition(spark, str(root), paths.PERSONS, dt=DS),
    }
    for part, read in readers.items():
        try:
            df = read()
            seen[part] = rows_text(df.collect()) if df is not None else []
        except AnalysisException as err:  # a folder without readable Parquet
            seen[part] = [f"unreadable: {err.getCondition()}"]
    return seen


def run_night(root: Path) -> None:
    with pytest.MonkeyPatch.context() as env:
        for name, value in KEY_ENVIRON.items():
            env.setenv(name, value)
        assert load_job("deidentify").main(["--dt", DS, "--lake-root", str(root)]) == 0


@pytest.fixture(scope="module")
def uninterrupted(spark, tmp_path_factory) -> tuple[Path, dict, dict]:
    """The night run without a kill: the lake after the first delivery, what readers see of it
    and what they see after the rerun over the corrected delivery."""
    base = tmp_path_factory.mktemp("uninterrupted")
    first, corrected = base / "first", base / "corrected"
    deliver_night(first, corrected=False)
    run_night(first)
    shutil.copytree(first, corrected)
    deliver_night(corrected, corrected=True)
    run_night(corrected)
    old, new = visible(spark, first), visible(spark, corrected)
    assert all(old[p] != new[p] for p in PARTS)  # so that each can be told apart
    return first, old, new


def spark_submit(root: Path) -> list[str]:
    """The command privacy.tasks.run_deidentify submits (its key goes in the environment)."""
    from alliance_pipeline.config import pipeline_config
    from alliance_pipeline.privacy.tasks import submit_spec

    script = pipeline_config().privacy.deidentify_job
    spec = submit_spec(script, ["--dt", DS, "--lake-root", str(root)])
    conf = [arg for k, v in spec["conf"].items() for arg in ("--conf", f"{k}={v}")]
    submit = Path(sys.executable).with_name("spark-submit")
    return [
        str(submit),
        "--master",
        "local[2]",
        *conf,
        spec["application"],
        *spec["application_args"],
    ]


def spark_writing(folder: Path) -> bool:
    """A Spark write under way below ``folder``: its output committer's ``_temporary`` exists."""
    try:
        return any(p.name == "_temporary" for p in folder.rglob("*"))
    except OSError:  # a folder renamed or deleted while listed
        return False


def part_files(folder: Path) -> set[str]:
    try:
        return {p.name for p in folder.rglob("*.parquet")}
    except OSError:
        return set()


# Where the kill lands (a condition on the lake, given the first run's clean/users files), the
# partitions the killed run has replaced by then, and the one it may be replacing.
KILL_POINTS = {
    "identity map": (lambda lake, users: spark_writing(lake / "identity"), (), ()),
    "clean zone": (
        lambda lake, users: (
            part_files(lake / "clean/users" / f"dt={DS}") - users
            and spark_writing(lake / "clean/orders")
        ),
        ("identity/person_map", "clean/users"),
        ("clean/orders",),
    ),
}


@pytest.mark.spark
@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_deidentify_killed_mid_job(spark, uninterrupted, tmp_path, kill_at):
    first, old, new = uninterrupted
    lake = tmp_path / "lake"
    shutil.copytree(first, lake)
    deliver_night(lake, corrected=True)  # a rerun over a corrected delivery is killed
    users = part_files(lake / "clean/users" / f"dt={DS}")
    condition, replaced, in_flight = KILL_POINTS[kill_at]
    log = tmp_path / "spark-submit.log"
    child = start(spark_submit(lake), log, env={**os.environ, **KEY_ENVIRON})
    try:
        wait_until(lambda: condition(lake, users), f"Spark writing the {kill_at}", child)
        kill_group(child)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)

    seen = visible(spark, lake)
    for part in PARTS:  # every partition whole: the first run's or the killed run's
        if part in in_flight:
            assert seen[part] in (old[part], new[part]), f"{part}: a partial partition"
        else:
            assert seen[part] == (new if part in replaced else old)[part], part
    for name in CLEAN:  # a reader of a whole dataset folder is not misled by leftovers
        assert spark.read.parquet(str(lake / "clean" / name)).count() == len(seen[f"clean/{name}"])

    run_night(lake)
    assert visible(spark, lake) == new
    leftovers = [p for p in lake.rglob("*") if p.is_dir() and p.name.startswith(("_", "."))]
    assert leftovers == [], "staging folders left after the rerun"
