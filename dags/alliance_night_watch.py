"""
# alliance_night_watch

The early word on a late night. At 06:30 Asia/Shanghai (this DAG's schedule: the time by which
BI expects the night), `check_night` looks for the night's record in `mart.pipeline_run`, which
`alliance_nightly`'s `summarise` writes when the night ends. When there is none, it sends a
"night late" alert through the alert channels (`config/pipeline.yml`, section `alerts`: the
alerts file, mail, Slack); the nightly run's 5-hour timeout stays the last resort. A night that
ended in failure has already alerted from its failed tasks, so it does not warn again here.

(It stands in for a DeadlineAlert on `alliance_nightly`: on Airflow 3.3.2, `dag.test()` of a DAG
with a deadline fails, so the demo and tests could not run the nightly DAG with one.)
"""

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

from alliance_pipeline.dag_policy import Tag, default_args
from alliance_pipeline.tasks import night_watch, nightly

DONE_BY_HOUR, DONE_BY_MINUTE = 6, 30  # Asia/Shanghai


@dag(
    dag_id="alliance_night_watch",
    schedule=CronDataIntervalTimetable(
        f"{DONE_BY_MINUTE} {DONE_BY_HOUR} * * *", timezone="Asia/Shanghai"
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={**default_args(), "retries": 1},
    tags=[Tag.NIGHTLY, Tag.MAINTENANCE],
    doc_md=__doc__,
)
def alliance_night_watch():
    @task(doc_md="Alert when the night (the data interval's Asia/Shanghai date) is not done.")
    def check_night(params: dict | None = None, data_interval_start=None) -> str:
        dt = nightly.night_date(data_interval_start, params or {})
        return night_watch.check(dt, f"{DONE_BY_HOUR:02d}:{DONE_BY_MINUTE:02d}")

    check_night()


alliance_night_watch()
