"""
# alliance_monthly_close

Closes one settlement period (a calendar month in Asia/Shanghai) and sends each partner its
statements.

1. **close_period**: computes the period's statements exactly as the nightly run does (its own
   orders, plus adjustment lines for refunds, chargebacks or late orders that touched earlier
   closed periods), writes them with status `closed` and records the period in
   `ops.settlement_period`, in one transaction. A closed statement never changes again: later
   changes become adjustment lines, with a reason code, in the next open period. Closing a
   period twice changes nothing. Periods close in order: an earlier month still open (a
   contract in force before the first order) is closed with it.
2. **send_statements**: each statement the close closed as CSV and a readable HTML page to the partner's
   outbound S3 prefix (`<outbound_prefix>/statements/period=YYYY-MM/`), holding only that
   partner's figures.

Runs on the 5th of each month for the month before. To close a chosen period, trigger with
`period` = `YYYY-MM`.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, task

from alliance_pipeline import assets
from alliance_pipeline.dag_policy import Tag, default_args
from alliance_pipeline.tasks import monthly_close


@dag(
    dag_id="alliance_monthly_close",
    schedule=CronTriggerTimetable("0 9 5 * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=4),
    default_args=default_args(),
    tags=[Tag.MONTHLY, Tag.SETTLEMENT, Tag.WAREHOUSE],
    doc_md=__doc__,
    params={
        "period": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="Period to close (YYYY-MM); empty: the month before the run",
        )
    },
)
def alliance_monthly_close():
    @task(multiple_outputs=True)
    def period(params: dict | None = None, data_interval_start=None) -> dict:
        """The period to close: the `period` param, else the month before the run."""
        period, run_date = monthly_close.period_to_close(data_interval_start, params)
        return {"period": period, "run_date": run_date}

    # The one-slot settlement pool keeps a close and a night's settle from writing at once.
    @task(multiple_outputs=False, pool="settlement", outlets=assets.SETTLEMENT_MARTS)
    def close_period(period: str, run_date: str) -> dict:
        """Settles the period a last time and closes it (and earlier months still open); its statements never change after."""
        return monthly_close.close_period(period, run_date)

    @task
    def send_statements(closed: dict) -> list[str]:
        """Writes each partner's statement (CSV and HTML) to its outbound prefix."""
        return monthly_close.send_statements(closed)

    chosen = period()
    send_statements(close_period(chosen["period"], chosen["run_date"]))


alliance_monthly_close()
