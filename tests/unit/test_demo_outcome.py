"""The demo's judgement of a failed night: failed as planted only when its real outputs say so."""

import datetime
import json
import sqlite3

import pandas as pd
import pytest

from alliance_pipeline.local.outcome import failed_as_planted
from alliance_pipeline.warehouse import open_warehouse

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

NIGHT = datetime.date(2026, 12, 2)
AT = datetime.datetime(2026, 12, 3, 3, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
RUN = "manual__2026-12-02T19:00:00+00:00"


def home_with(tmp_path, tasks, rejected=(("tidewave", "orders", "columns_present"),)):
    """A demo home: the generator's truth (tidewave/orders planted bad), an Airflow metadata
    database holding the run's task instances, and a warehouse holding the night's outputs."""
    truth = {"defects": [
        {"source": "tidewave", "dataset": "orders", "dt": NIGHT.isoformat(), "level": "batch",
         "kind": "missing_required_column", "keys": []},
        {"source": "platform", "dataset": "orders", "dt": NIGHT.isoformat(), "level": "row",
         "kind": "negative_amount", "keys": ["UO1"]},
    ]}  # fmt: skip
    (tmp_path / "generator-truth.json").write_text(json.dumps(truth))
    (tmp_path / "airflow").mkdir()
    db = sqlite3.connect(tmp_path / "airflow" / "airflow.db")
    db.execute("CREATE TABLE dag_run (id INTEGER, dag_id TEXT, run_id TEXT, logical_date TEXT)")
    db.execute(
        "CREATE TABLE task_instance (dag_id TEXT, run_id TEXT, task_id TEXT, map_index INTEGER, "
        "rendered_map_index TEXT, state TEXT)"
    )
    db.execute(
        "INSERT INTO dag_run VALUES (1, 'alliance_nightly', ?, '2026-12-02 19:00:00.000000')", [RUN]
    )
    db.executemany(
        "INSERT INTO task_instance VALUES ('alliance_nightly', ?, ?, ?, ?, ?)",
        [(RUN, *t) for t in tasks],
    )
    db.commit()
    db.close()
    wh = open_warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    wh.migrate()
    wh.replace_partition(
        "mart.quarantine_index",
        {"dt": NIGHT},
        pd.DataFrame(
            [{"run_id": RUN, "source": s, "dataset": d, "dt": NIGHT, "rule": r, "rows": 7,
              "path": "quarantine/x", "batch_rejected": True} for s, d, r in rejected]
            + [{"run_id": RUN, "source": "platform", "dataset": "orders", "dt": NIGHT,
                "rule": "amount_min", "rows": 2, "path": "quarantine/y", "batch_rejected": False}]
        ),
    )  # fmt: skip
    summary = {"deliveries_planned": 28, "deliveries_passed": 28 - len(rejected),
               "deliveries_failed": [f"{s}/{d}" for s, d, _ in rejected]}  # fmt: skip
    wh.replace_partition(
        "mart.pipeline_run",
        {"dag_id": "alliance_nightly", "run_id": RUN},
        pd.DataFrame([{"run_id": RUN, "dag_id": "alliance_nightly", "dt": NIGHT, "state": "failed",
                       "started_at": None, "finished_at": None, "sources_passed": "platform",
                       "sources_failed": "tidewave", "summary": json.dumps(summary)}]),
    )  # fmt: skip
    return tmp_path


PLANTED = [
    ("facts.wait_for_manifest", 3, "tidewave/orders", "success"),
    ("facts.ingest", 3, "tidewave/orders", "success"),
    ("facts.validate", 3, "tidewave/orders", "failed"),
    ("facts.validate", 4, "platform/orders", "success"),
    ("settle", -1, None, "success"),
    ("propensity", -1, None, "skipped"),
    ("summarise", -1, None, "failed"),
]


def test_a_night_failed_only_by_its_planted_batches_failed_as_planted(tmp_path):
    line = failed_as_planted(home_with(tmp_path, PLANTED), "alliance_nightly", AT, NIGHT)
    assert line == (
        "night 2026-12-02: failed as planted — 1 delivery rejected (tidewave/orders: "
        "columns_present); the other 27 deliveries passed and were published"
    )


def test_a_never_run_task_of_a_planted_delivery_is_known_by_its_map_index(tmp_path):
    tasks = [*PLANTED[:2], ("facts.ingest", 3, "tidewave/orders", "failed"),
             ("facts.validate", 3, None, "upstream_failed"), *PLANTED[3:]]  # fmt: skip
    assert failed_as_planted(home_with(tmp_path, tasks), "alliance_nightly", AT, NIGHT)


@pytest.mark.parametrize(
    "tasks, rejected",
    [
        # another task failed too: settle
        ([*PLANTED[:4], ("settle", -1, None, "failed"), *PLANTED[5:]], None),
        # a delivery that was not planted failed
        ([*PLANTED[:3], ("facts.validate", 4, "platform/orders", "failed"), *PLANTED[4:]], None),
        # a task never ran
        ([*PLANTED[:5], ("propensity", -1, None, None), PLANTED[6]], None),
        # validation rejected another delivery than the planted one
        (PLANTED, [("platform", "orders", "row_share")]),
    ],
    ids=["other_task_failed", "unplanted_delivery", "task_not_run", "other_rejection"],
)
def test_any_other_failure_is_a_real_failure(tmp_path, tasks, rejected):
    home = home_with(tmp_path, tasks, *([rejected] if rejected else []))
    assert failed_as_planted(home, "alliance_nightly", AT, NIGHT) is None
