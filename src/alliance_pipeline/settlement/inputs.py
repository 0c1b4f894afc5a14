"""Settlement's inputs: the clean partitions a night's settlement depends on, snapshots at their
latest dt, in the contracts' types (read by :mod:`alliance_pipeline.lake.arrow_io`).

With no ``start`` (before the first close) every partition with dt <= the run date is read; from
``start`` (the first open day, :mod:`alliance_pipeline.settlement.window`) only what the open
periods and the adjustments of closed ones need.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.lake.arrow_io import read_clean, read_clean_table
from alliance_pipeline.settlement.net import PLATFORM_TZ, business_date
from alliance_pipeline.settlement.window import read_since

# Datasets delivered as a full snapshot each night: only the latest dt counts.
SNAPSHOTS = ("campaigns", "catalog", "contracts")
DATASETS = (
    "orders",
    "events",
    "campaigns",
    "contracts",
    "fx_rates",
    "campaign_delivery",
    "catalog",
)
# Only campaign touches of events matter to settlement (attribution.TOUCH_TYPES).
TOUCHES = pc.field("event_type").isin(["click", "view"]) & pc.field("campaign_id").is_valid()
TOUCH_COLUMNS = ("source", "event_id", "person_key", "campaign_id", "event_at", "event_type")


@dataclass(frozen=True)
class CleanInputs:
    orders: pd.DataFrame
    events: pa.Table  # campaign touches only (TOUCH_COLUMNS), kept in Arrow: the most rows
    campaigns: pd.DataFrame
    contracts: pd.DataFrame
    fx_rates: pd.DataFrame
    campaign_delivery: pd.DataFrame
    catalog: pd.DataFrame
    start: datetime.date | None = None  # the first open day; None: the whole history


def business_days(orders: pd.DataFrame) -> pd.Series:
    """Each order row's Asia/Shanghai order date."""
    at = pd.to_datetime(orders["ordered_at"], utc=True)
    return at.dt.tz_convert(PLATFORM_TZ).dt.date


def _oldest_order_day(orders: pd.DataFrame) -> datetime.date | None:
    if orders.empty:
        return None
    return business_date(orders["ordered_at"].min())


def load_inputs(lake_root: Path | str, dt: str, start: datetime.date | None = None) -> CleanInputs:
    datetime.date.fromisoformat(dt)
    snapshots = {name: read_clean(lake_root, name, dt, latest_only=True) for name in SNAPSHOTS}
    orders = read_clean(lake_root, "orders", dt, since=read_since(start))
    if start is not None:
        # the slack days' orders of closed periods were settled before their close
        kept = (orders["dt"] >= start) | (business_days(orders) >= start)
        orders = orders[kept].reset_index(drop=True)
    oldest = (_oldest_order_day(orders) or start) if start is not None else None
    longest = int(snapshots["contracts"]["window_days"].max() or 0) if oldest else 0
    since = read_since(oldest, longest)
    events = read_clean_table(
        lake_root, "events", dt, since=since, where=TOUCHES, columns=TOUCH_COLUMNS
    )
    fx = read_clean(lake_root, "fx_rates", dt, since=read_since(oldest))
    delivery = read_clean(lake_root, "campaign_delivery", dt, since=read_since(start))
    if start is not None:
        delivery = delivery[delivery["date"] >= start].reset_index(drop=True)
    return CleanInputs(
        orders=orders,
        events=events,
        fx_rates=fx,
        campaign_delivery=delivery,
        start=start,
        **snapshots,
    )
