"""A planted-preference sample in the lake layouts, for tests and the benchmark.

Persons and items fall into ``groups`` taste groups; a person engages with items of the own
group (and, with probability ``noise``, with any item). Popularity therefore knows nothing of
the groups and ALS can find them. The last ``holdout_days`` bring new items of the own group.
With ``hits``, that many items (the last ids) are touched by half the persons in training and
by half of the rest in the holdout: popularity then has something to find too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import clean_file_schema

SOURCES = ("platform", "moonbay", "tidewave", "lumen")


@dataclass
class Sample:
    events: pd.DataFrame
    orders: pd.DataFrame
    catalog: pd.DataFrame
    persons: pd.DataFrame
    segments: pd.DataFrame
    item_group: dict[str, int]
    person_group: dict[str, int]


def clean_table(dataset: str, df: pd.DataFrame) -> pa.Table:
    """``df`` with every column of ``contracts.clean_columns(dataset)`` (missing ones null)
    except the partition columns, which live in the folder names as Spark writes them."""
    schema = clean_file_schema(dataset)
    arrays = [
        pa.array(df[f.name] if f.name in df else [None] * len(df), type=f.type) for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_clean(root: Path, dataset: str, df: pd.DataFrame) -> None:
    """clean/{dataset}/dt={dt}/source={source}/part-0.parquet for each (dt, source) of ``df``;
    like Spark's ``partitionBy``, the files hold no dt or source column."""
    for (day, source), part in df.groupby(["dt", "source"]):
        folder = paths.partition(paths.clean(dataset), Path(root), dt=day, source=source)
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(clean_table(dataset, part.reset_index(drop=True)), folder / "part-0.parquet")


def write_curated(root: Path, dataset: str, df: pd.DataFrame, **keys) -> None:
    """{dataset}/{k=v...}/part-0.parquet, e.g. ``run_date=2026-11-23``; the partition keys
    are left out of the file, as Spark's ``partitionBy`` does."""
    folder = paths.partition(dataset, Path(root), **keys)
    folder.mkdir(parents=True, exist_ok=True)
    data = df.drop(columns=list(keys), errors="ignore")
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), folder / "part-0.parquet")


def planted(
    dt: str,
    persons: int = 60,
    items: int = 30,
    groups: int = 3,
    per_person: int = 6,
    holdout_items: int = 2,
    holdout_days: int = 7,
    lookback_days: int = 60,
    noise: float = 0.05,
    hits: int = 0,
    cold: int = 3,
    seed: int = 7,
) -> Sample:
    rng = np.random.default_rng(seed)
    end = datetime.date.fromisoformat(dt)
    item_ids = [f"c{i:05d}" for i in range(items)]
    item_group = {c: i % groups if i < items - hits else -1 for i, c in enumerate(item_ids)}
    by_group = [[c for c in item_ids if item_group[c] == g] for g in range(groups)]
    person_ids = [f"{i:064x}" for i in range(1, persons + cold + 1)]
    person_group = {p: i % groups for i, p in enumerate(person_ids)}
    kinds = np.array(["view", "play", "complete", "favorite", "share"])

    rows = []
    for i, p in enumerate(person_ids):
        own = by_group[person_group[p]]
        chosen = rng.choice(len(own), size=min(len(own), per_person + holdout_items), replace=False)
        picks = [own[j] for j in chosen]
        n_train = 1 if i >= persons else per_person
        for j, c in enumerate(picks[: n_train + (0 if i >= persons else holdout_items)]):
            held = j >= n_train
            day_back = (
                rng.integers(0, holdout_days) if held else rng.integers(holdout_days, lookback_days)
            )
            for _ in range(int(rng.integers(1, 4))):
                rows.append((p, c, end - datetime.timedelta(days=int(day_back)), rng.choice(kinds)))
        for c in item_ids[items - hits :] if i < persons else []:
            held = rng.random() < 0.5
            if held and rng.random() < 0.5:
                continue
            day_back = (
                rng.integers(0, holdout_days) if held else rng.integers(holdout_days, lookback_days)
            )
            rows.append((p, c, end - datetime.timedelta(days=int(day_back)), "complete"))
        for c in item_ids:
            if i < persons and rng.random() < noise:
                rows.append(
                    (
                        p,
                        c,
                        end
                        - datetime.timedelta(days=int(rng.integers(holdout_days, lookback_days))),
                        "view",
                    )
                )
    ev = pd.DataFrame(rows, columns=["person_key", "content_id", "day", "event_type"])
    ev["event_at"] = pd.to_datetime(ev["day"]).dt.tz_localize("Asia/Shanghai").dt.tz_convert(
        "UTC"
    ) + pd.Timedelta(hours=12)
    ev["dt"] = ev["day"]
    ev["event_id"] = [f"e{i}" for i in range(len(ev))]
    ev["key_version"] = "dev-1"
    ev["source"] = "platform"
    ev = ev.drop(columns="day")

    first_purchases = ev[ev["event_type"] == "favorite"].drop_duplicates(
        ["person_key", "content_id"]
    )
    orders = first_purchases[
        ["person_key", "content_id", "event_at", "dt", "key_version", "source"]
    ].copy()
    orders["order_id"] = [f"o{i}" for i in range(len(orders))]
    orders["ordered_at"] = orders["event_at"]
    orders["updated_at"] = orders["event_at"]
    orders["status"] = "paid"
    orders["quantity"] = 1
    orders["unit_price"] = orders["amount"] = Decimal("99.00")
    orders["currency"] = "CNY"
    orders = orders.drop(columns="event_at")

    catalog = pd.DataFrame(
        {
            "content_id": item_ids,
            "title": item_ids,
            "owner_source": [SOURCES[i % len(SOURCES)] for i in range(items)],
            "co_brand_partners": [None] * items,
            "category": "business",
            "list_price": Decimal("99.00"),
            "currency": "CNY",
            "launched_at": pd.Timestamp("2026-01-01", tz="UTC"),
            "source": "platform",
            "dt": end,
        }
    )
    people = pd.DataFrame(
        {
            "person_key": person_ids,
            "key_version": "dev-1",
            "home_source": [SOURCES[i % len(SOURCES)] for i in range(len(person_ids))],
            "marketing_consent": [i % 5 != 4 for i in range(len(person_ids))],
        }
    )
    segments = pd.DataFrame(
        {"person_key": person_ids, "segment_id": [person_group[p] for p in person_ids]}
    )
    return Sample(ev, orders, catalog, people, segments, item_group, person_group)


def write_sample(root: Path, sample: Sample, dt: str) -> None:
    """The sample in the layouts the job reads."""
    write_clean(root, "events", sample.events)
    write_clean(root, "orders", sample.orders)
    write_clean(root, "catalog", sample.catalog)
    write_curated(root, paths.PERSONS, sample.persons, dt=dt)
    write_curated(root, paths.PERSON_SEGMENT, sample.segments, run_date=dt)
