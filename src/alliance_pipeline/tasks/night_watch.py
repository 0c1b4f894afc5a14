"""The early word on a late night: is the night recorded as done (``mart.pipeline_run``)?"""

from __future__ import annotations

import logging

from alliance_pipeline import alerts

log = logging.getLogger(__name__)

NIGHTLY_DAG_ID = "alliance_nightly"


def night_state(dt: str) -> str | None:
    """The recorded end state of the nightly run(s) of ``dt`` (success wins), or None while no
    run of that night has finished."""
    from alliance_pipeline.warehouse import warehouse_from_airflow

    states = {
        s
        for (s,) in warehouse_from_airflow().query(
            "SELECT state FROM mart.pipeline_run WHERE dag_id = ? AND dt = CAST(? AS DATE)",
            [NIGHTLY_DAG_ID, dt],
        )
    }
    return "success" if "success" in states else next(iter(sorted(states)), None)


def check(dt: str, done_by: str) -> str:
    """Alert when the night ``dt`` has not finished by ``done_by``; its state otherwise. A failed
    night has already alerted through its tasks, so only a missing record warns here."""
    state = night_state(dt)
    if state is None:
        alerts.send(alerts.late_night_alert(NIGHTLY_DAG_ID, dt, done_by, None))
        return "late"
    log.info("night %s is done: %s", dt, state)
    return state
