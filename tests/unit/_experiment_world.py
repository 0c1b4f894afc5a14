"""The readout's relations built straight from a generator world (its platform), for the
statistics tests: exposures, orders (one row per order, net in fen), plays, recommended."""

from __future__ import annotations

import datetime

import duckdb
import numpy as np
import pyarrow as pa

from alliance_pipeline.contracts import EVENT_TYPES
from alliance_pipeline.experiments.registry import Experiment, parse_experiment
from alliance_pipeline.generator import activity as act
from alliance_pipeline.generator import experiments as gx
from alliance_pipeline.generator.world import World

UTC_US = pa.timestamp("us", "UTC")


def ab(i: int, start: datetime.date, end: datetime.date, mde: float = 0.08) -> Experiment:
    return parse_experiment(
        {
            "id": f"sim_{i}",
            "kind": "recommendation",
            "hypothesis": "simulated",
            "salt": f"simulated-salt-{i:05d}",
            "start_date": start,
            "end_date": end,
            "variants": [
                {"id": "control", "weight": 0.5, "control": True},
                {"id": "treatment", "weight": 0.5},
            ],
            "primary_metric": "orders_per_person",
            "guardrail_metrics": ["refund_rate"],
            "minimum_detectable_effect": mde,
            "pre_period_days": 7,
        }
    )


def platform_keys(world: World) -> np.ndarray:
    m = world.members[world.platform_id]
    return np.array(gx.member_person_keys(m, np.arange(m.n), gx.development_key()), dtype=object)


def exposures_table(
    world: World, exposures: gx.Exposures, experiments, keys, prefix=""
) -> pa.Table:
    return pa.table(
        {
            "person_key": pa.array([prefix + k for k in keys[exposures.member]], pa.string()),
            "experiment_id": pa.array([experiments[i].id for i in exposures.experiment]),
            "variant": pa.array(exposures.variant, pa.string()),
            "exposed_at": pa.array(exposures.exposed_us, UTC_US),
        }
    )


def orders_table(orders: act.Orders, keys, prefix="") -> pa.Table:
    """One row per order: its first delivery, net of its latest refund, refunded if any."""
    first = (orders.status == 0) & (orders.updated_us == orders.ordered_us)
    refund = np.zeros(int(orders.order_no.max(initial=0)) + 1, dtype=np.int64)
    again = ~first
    refund[orders.order_no[again]] = np.maximum(orders.refund_fen[again], 0)
    refunded = np.zeros(refund.size, dtype=bool)
    refunded[orders.order_no[again]] = True
    no = orders.order_no[first]
    return pa.table(
        {
            "person_key": pa.array([prefix + k for k in keys[orders.member[first]]], pa.string()),
            "ordered_at": pa.array(orders.ordered_us[first], UTC_US),
            "net_fen": pa.array(orders.amount_fen[first] - refund[no], pa.int64()),
            "refunded": pa.array(refunded[no]),
        }
    )


def plays_table(world: World, keys) -> pa.Table:
    ev = world.events[world.platform_id]
    play = ev.etype == EVENT_TYPES.index("play")
    return pa.table(
        {
            "person_key": pa.array(list(keys[ev.member[play]]), pa.string()),
            "content_id": world.catalog.content_id.take(ev.content[play]),
            "event_at": pa.array(ev.at_us[play], UTC_US),
        }
    )


def recommended_table(world: World, keys, items: int = 10) -> pa.Table:
    """Everybody was recommended the first ``items`` of the catalog."""
    ids = world.catalog.content_id.to_pylist()[:items]
    return pa.table(
        {
            "person_key": pa.array(np.repeat(keys, len(ids)).tolist(), pa.string()),
            "content_id": pa.array(ids * len(keys), pa.string()),
        }
    )


def connect(exposures: pa.Table, orders: pa.Table, plays=None, recommended=None):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    empty_plays = pa.table(
        {"person_key": pa.array([], pa.string()), "content_id": pa.array([], pa.string()),
         "event_at": pa.array([], UTC_US)}
    )  # fmt: skip
    empty_recs = empty_plays.select(["person_key", "content_id"])
    for name, table in (
        ("exposures", exposures),
        ("orders", orders),
        ("plays", empty_plays if plays is None else plays),
        ("recommended", empty_recs if recommended is None else recommended),
    ):
        con.register(name, table)
    return con
