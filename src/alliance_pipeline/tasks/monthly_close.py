"""The task callables of alliance_monthly_close (the DAG file only wires them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alliance_pipeline.settings import PLATFORM_TIMEZONE
from alliance_pipeline.tasks.s3 import outbound_of


def period_to_close(data_interval_start: datetime, params: dict) -> tuple[str, str]:
    """(period YYYY-MM, run date) of a monthly close: the ``period`` param, else the month
    before the run's Asia/Shanghai date. The run date bounds the data the close reads."""
    run_date = data_interval_start.astimezone(ZoneInfo(PLATFORM_TIMEZONE)).date()
    if params.get("period"):
        period = params["period"]
        year, month = (int(p) for p in period.split("-"))
        first_after = datetime(year + month // 12, month % 12 + 1, 1).date()
        return period, max(run_date, first_after).isoformat()
    last_month = run_date.replace(day=1) - timedelta(days=1)
    return last_month.strftime("%Y-%m"), run_date.isoformat()


def close_period(period: str, run_date: str) -> dict:
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.settlement.close import close_period as close
    from alliance_pipeline.warehouse import warehouse_from_airflow

    return close(warehouse_from_airflow(), period, lake_root(), run_date)


def send_statements(closed: dict) -> list[str]:
    """The closed statements of every period the close closed (``close_period``'s result)."""
    from alliance_pipeline.settlement.outbound import write_partner_statements
    from alliance_pipeline.warehouse import warehouse_from_airflow

    wh = warehouse_from_airflow()
    return [
        key
        for period in closed["periods"]
        for key in write_partner_statements(wh, period, outbound_of)
    ]
