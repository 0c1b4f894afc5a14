"""Reading the clean zone: every partition with dt <= the run date, snapshots at their latest dt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alliance_pipeline.contracts import clean_columns

# Datasets delivered as a full snapshot each night: only the latest dt counts.
SNAPSHOTS = ("campaigns", "catalog", "contracts")


def read_clean(
    lake_root: Path | str, dataset: str, ds: str, latest_only: bool = False
) -> pd.DataFrame:
    """All ``clean/{dataset}/dt=*/source=*/`` Parquet up to ``ds``, with the clean columns."""
    base = Path(lake_root) / "clean" / dataset
    names = [c.name for c in clean_columns(dataset)]
    dts = sorted(p for p in base.glob("dt=*") if p.name[3:] <= ds) if base.exists() else []
    if latest_only and dts:
        dts = dts[-1:]
    tables = []
    for dt_dir in dts:
        for f in sorted(dt_dir.glob("source=*/*.parquet")):
            t = pq.read_table(f)
            tables.append(t.select([n for n in names if n in t.column_names]))
    if not tables:
        return _empty(dataset)
    df = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    for name in names:
        if name not in df.columns:
            df[name] = None
    return df[names]


def _empty(dataset: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in clean_columns(dataset)})


@dataclass(frozen=True)
class CleanInputs:
    orders: pd.DataFrame
    events: pd.DataFrame
    campaigns: pd.DataFrame
    contracts: pd.DataFrame
    fx_rates: pd.DataFrame
    campaign_delivery: pd.DataFrame
    catalog: pd.DataFrame


def load_inputs(lake_root: Path | str, ds: str) -> CleanInputs:
    dt.date.fromisoformat(ds)
    return CleanInputs(
        **{
            name: read_clean(lake_root, name, ds, latest_only=name in SNAPSHOTS)
            for name in (
                "orders",
                "events",
                "campaigns",
                "contracts",
                "fx_rates",
                "campaign_delivery",
                "catalog",
            )
        }
    )
