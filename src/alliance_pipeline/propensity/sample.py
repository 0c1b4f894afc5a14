"""A generator world straight into the lake layouts the propensity job reads, for tests and
the benchmark (no landing, validation or de-identification: those have their own tests).

Every person gets a stand-in person_key (a SHA-256 of its index: one key across sources, as
de-identification gives); clean events, orders, campaigns, campaign_delivery, catalog and
fx_rates come from the generator's own delivery tables. For each cut-off day, curated/persons
(who registered where by then), curated/features (the segmentation's own transform) and
curated/person_segment (the planted behaviour group standing in for the segment) are written.
"""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from alliance_pipeline.contracts import MEMBERSHIP_TIERS
from alliance_pipeline.generator import tables
from alliance_pipeline.generator.world import World
from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import clean_file_schema

DATASETS = ("events", "orders", "campaigns", "campaign_delivery", "catalog", "fx_rates")
KEY_VERSION = "sample"


def person_keys(world: World) -> np.ndarray:
    return np.array(
        [hashlib.sha256(f"sample-person:{i}".encode()).hexdigest() for i in range(world.persons.n)],
        dtype=object,
    )


def _clean(dataset: str, table: pa.Table, keys: pa.Array | None) -> pa.Table:
    schema = clean_file_schema(dataset)
    cols = {n: table[n] for n in table.column_names}
    if keys is not None:
        cols.update(person_key=keys, key_version=pa.array([KEY_VERSION] * table.num_rows))
    arrays = [cols[f.name].cast(f.type) if f.name in cols else pa.nulls(table.num_rows, f.type)
              for f in schema]  # fmt: skip
    return pa.Table.from_arrays(arrays, schema=schema)


def write_clean(world: World, root: Path) -> None:
    """clean/{dataset}/dt=/source=/part-0.parquet of every night and source."""
    keys = person_keys(world)
    for sid, members in world.members.items():
        member_keys = pa.array(keys[members.person], pa.string())
        datasets = [
            d for d in DATASETS if d in next(s for s in world.sources if s.id == sid).datasets
        ]
        for k, day in enumerate(world.dates):
            for name in datasets:
                table = tables.BUILDERS[name](world, sid, k)
                own = None
                if "source_user_id" in table.column_names:
                    idx = pc.index_in(table["source_user_id"], value_set=members.source_user_id)
                    own = member_keys.take(idx)
                folder = paths.partition(paths.clean(name), root, dt=day.isoformat(), source=sid)
                folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(_clean(name, table, own), folder / "part-0.parquet")


def persons_on(world: World, day: datetime.date) -> pd.DataFrame:
    """curated/persons as of ``day``: who is registered where by its end (Asia/Shanghai)."""
    end_us = world.window.start_us + ((day - world.dates[0]).days + 1) * 86_400_000_000
    keys = person_keys(world)
    sources: dict[int, list[str]] = {}
    tier = np.zeros(world.persons.n, dtype=np.int64)
    for sid, m in world.members.items():
        known = np.flatnonzero(m.registered_us < end_us)
        for p in m.person[known].tolist():
            sources.setdefault(p, []).append(sid)
        np.maximum.at(tier, m.person[known], m.tier[known])
    idx = sorted(sources)
    return pd.DataFrame(
        {
            "person_key": keys[idx],
            "key_version": KEY_VERSION,
            "sources": [";".join(sorted(sources[i])) for i in idx],
            "home_source": [sources[i][0] for i in idx],
            "marketing_consent": True,
            "membership_tier": [MEMBERSHIP_TIERS[t] for t in tier[idx]],
            "age_band": "unknown",
        }
    )


def write_curated(root: Path, dataset: str, df: pd.DataFrame, **keys) -> None:
    folder = paths.partition(dataset, root, **keys)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), folder / "part-0.parquet")


def write_person_partitions(spark, world: World, root: Path, days, lookback_days: int) -> None:
    """curated/persons, curated/features and curated/person_segment of each of ``days``."""
    from alliance_pipeline.lake import spark_io
    from alliance_pipeline.segmentation import features as feat

    keys = person_keys(world)
    for day in days:
        persons = persons_on(world, day)
        write_curated(root, paths.PERSONS, persons, dt=day.isoformat())
        segment = pd.DataFrame({"person_key": keys, "segment_id": world.persons.group})
        write_curated(root, paths.PERSON_SEGMENT, segment, run_date=day.isoformat())
        start = feat.window_start(day, lookback_days)
        lake = str(root)
        orders = spark_io.read_clean(spark, lake, "orders", start, day)
        fx = spark_io.read_clean(spark, lake, "fx_rates", start - datetime.timedelta(
            days=feat.FX_SLACK_DAYS), day)  # fmt: skip
        out = feat.person_features(
            spark.createDataFrame(persons),
            feat.orders_in_cny(orders, fx, start, day),
            spark_io.read_clean(spark, lake, "events", start, day),
            spark_io.read_clean(spark, lake, "catalog", day, day),
            day,
            lookback_days,
        )
        spark_io.overwrite_partitions(out, paths.path(paths.FEATURES, lake), "run_date")
