"""Which part of the clean zone a settlement night reads: the open periods, not all of history.

A closed period is settled: its statements never change, and its rows in the order and campaign
marts stay as they were at the close. A night therefore reads the orders delivered since the
first open period began (a late or re-delivered order of a closed period among them becomes an
adjustment), the campaign touches within the longest attribution window before the oldest of
those orders, the fx rates from that order's date on and the campaign delivery of the open
periods. Before the first close it reads the whole history.
"""

from __future__ import annotations

import datetime

from alliance_pipeline.settlement.statements import next_period, period_bounds

# A delivery's dt can precede its rows' Asia/Shanghai business date by a day (dt is the night's
# date, rows carry UTC instants); two days of slack keep every row of the first open day.
READ_SLACK = datetime.timedelta(days=2)


def first_open_day(closed_periods: set[str]) -> datetime.date | None:
    """The first day of the earliest open period after the first closed one (None: no close)."""
    if not closed_periods:
        return None
    p = min(closed_periods)
    while p in closed_periods:
        p = next_period(p)
    return period_bounds(p)[0]


def read_since(day: datetime.date | None, look_back_days: int = 0) -> str | None:
    """The first dt partition that can hold rows dated ``day`` or up to ``look_back_days`` before."""
    if day is None:
        return None
    return (day - datetime.timedelta(days=look_back_days) - READ_SLACK).isoformat()
