"""Settlement's inputs: every clean partition with dt <= the run date, snapshots at their latest
dt, in the contracts' types (read by :func:`alliance_pipeline.lake.arrow_io.read_clean`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alliance_pipeline.lake.arrow_io import read_clean

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


@dataclass(frozen=True)
class CleanInputs:
    orders: pd.DataFrame
    events: pd.DataFrame
    campaigns: pd.DataFrame
    contracts: pd.DataFrame
    fx_rates: pd.DataFrame
    campaign_delivery: pd.DataFrame
    catalog: pd.DataFrame


def load_inputs(lake_root: Path | str, dt: str) -> CleanInputs:
    datetime.date.fromisoformat(dt)
    return CleanInputs(
        **{
            name: read_clean(lake_root, name, dt, latest_only=name in SNAPSHOTS)
            for name in DATASETS
        }
    )
