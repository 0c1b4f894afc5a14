"""The generator's world as the features job's inputs, for tests and the benchmark.

``generated_inputs`` simulates a world (``generator.build_world``) and returns what the features
transform reads from the clean zone and the person dimension, with every night's rows, plus the
truth: each person_key's planted behaviour group (``generator.people.GROUPS``). Persons are keyed
as de-identification keys them (the development key, ``generator.experiments``), and a person
known to several sources is one person, as the identity map makes them. ``night_frames`` gives
the frames as they stand after a given night (what the features job of that night reads).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from alliance_pipeline.contracts import (
    CATEGORIES,
    CURRENCIES,
    EVENT_TYPES,
    MEMBERSHIP_TIERS,
    ORDER_STATUSES,
)
from alliance_pipeline.generator import GeneratorConfig
from alliance_pipeline.generator import arrowcols as ac
from alliance_pipeline.generator import experiments as gx
from alliance_pipeline.generator.people import GROUPS
from alliance_pipeline.generator.world import World, build_world
from alliance_pipeline.segmentation import features as feat


@dataclass
class GeneratedInputs:
    persons: pa.Table  # person_key, sources, membership_tier, age_band
    orders: pa.Table  # clean-zone order columns the features read, + source, dt
    events: pa.Table
    catalog: pa.Table
    fx_rates: pa.Table
    truth: pa.Table  # person_key, group (the planted group's name)
    dates: list[datetime.date]


def _person_keys(world: World) -> np.ndarray:
    """person_key of every person (the key of the first source that knows them; '' when
    none does)."""
    keys = np.full(world.persons.n, "", dtype=object)
    for m in world.members.values():
        unknown = np.flatnonzero(keys[m.person] == "")
        keys[m.person[unknown]] = gx.member_person_keys(m, unknown, gx.development_key())
    return keys


def _night_dates(world: World, night: np.ndarray) -> pa.Array:
    return ac.dates(world.window.first_day + night)


def generated_inputs(cfg: GeneratorConfig) -> GeneratedInputs:
    world = build_world(cfg)
    keys = _person_keys(world)
    orders, events = [], []
    sources = np.full(world.persons.n, "", dtype=object)
    tier = np.zeros(world.persons.n, dtype=np.int64)
    for sid, m in world.members.items():
        sources[m.person] = np.where(sources[m.person] == "", sid, sources[m.person] + ";" + sid)
        np.maximum.at(tier, m.person, m.tier)
        o, e = world.orders[sid], world.events[sid]
        refund = o.refund_fen
        orders.append(
            pa.table(
                {
                    "order_id": pa.array([f"{sid}-{n}" for n in o.order_no.tolist()]),
                    "person_key": pa.array(keys[m.person[o.member]], pa.string()),
                    "amount": ac.money(o.amount_fen),
                    "currency": pa.array(CURRENCIES).take(o.currency),
                    "ordered_at": ac.timestamps(o.ordered_us, "UTC"),
                    "status": pa.array(ORDER_STATUSES).take(o.status),
                    "refund_amount": ac.money(refund, refund >= 0),
                    "updated_at": ac.timestamps(o.updated_us, "UTC"),
                    "source": pa.array(np.full(o.night.size, sid), pa.string()),
                    "dt": _night_dates(world, o.night),
                }
            )
        )
        events.append(
            pa.table(
                {
                    "person_key": pa.array(keys[m.person[e.member]], pa.string()),
                    "content_id": world.catalog.content_id.take(e.content),
                    "event_type": pa.array(EVENT_TYPES).take(e.etype),
                    "event_at": ac.timestamps(e.at_us, "UTC"),
                    "duration_s": pa.array(e.duration, mask=e.duration < 0),
                    "source": pa.array(np.full(e.night.size, sid), pa.string()),
                    "dt": _night_dates(world, e.night),
                }
            )
        )
    known = np.flatnonzero(keys != "")
    c = world.catalog
    fx_days = np.arange(world.window.days)
    return GeneratedInputs(
        persons=pa.table(
            {
                "person_key": pa.array(keys[known], pa.string()),
                "sources": pa.array(sources[known], pa.string()),
                "membership_tier": pa.array(MEMBERSHIP_TIERS).take(tier[known]),
                "age_band": pa.array(np.full(known.size, "unknown"), pa.string()),
            }
        ),
        orders=pa.concat_tables(orders),
        events=pa.concat_tables(events),
        catalog=pa.table(
            {
                "content_id": c.content_id,
                "category": pa.array(CATEGORIES).take(c.category),
                "dt": ac.dates(np.full(c.n, world.window.first_day)),
            }
        ),
        fx_rates=pa.table(
            {
                "date": _night_dates(world, np.repeat(fx_days, len(CURRENCIES))),
                "currency": pa.array(np.tile(CURRENCIES, fx_days.size)),
                "cny_per_unit": ac.decimal(
                    np.stack([world.fx[cur] for cur in CURRENCIES], axis=1).ravel(), ac.RATE
                ),
                "dt": _night_dates(world, np.repeat(fx_days, len(CURRENCIES))),
            }
        ),
        truth=pa.table(
            {
                "person_key": pa.array(keys[known], pa.string()),
                "group": pa.array([g.name for g in GROUPS]).take(world.persons.group[known]),
            }
        ),
        dates=list(world.dates),
    )


def night_features(
    spark: SparkSession, inputs: GeneratedInputs, dt: datetime.date, lookback_days: int
) -> DataFrame:
    """The features job's output for night ``dt``: only rows delivered by then are read."""

    def upto(table: pa.Table) -> DataFrame:
        return spark.createDataFrame(table).where(F.col("dt") <= F.lit(dt))

    start = feat.window_start(dt, lookback_days)
    orders_cny = feat.orders_in_cny(upto(inputs.orders), upto(inputs.fx_rates), start, dt)
    persons = spark.createDataFrame(inputs.persons)
    return feat.person_features(
        persons, orders_cny, upto(inputs.events), upto(inputs.catalog), dt, lookback_days
    )
