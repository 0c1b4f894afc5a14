"""Implicit feedback: one confidence per (person_key, content_id) from event strength.

Each engagement event weighs ``event_weights[event_type]`` (view < play < complete <
favorite/share < purchase); a paid order (latest version of the order: re-deliveries replace
earlier ones) weighs ``event_weights["purchase"]``. The confidence of a pair is the sum of its
weights over a window of business days (Asia/Shanghai); event types without a weight count 0.
"""

from __future__ import annotations

import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from alliance_pipeline.settings import PLATFORM_TIMEZONE

OWNING_STATUSES = ("paid", "partially_refunded")
# The order state a night carries to the next (lake.paths.REC_ORDER_STATE): one row per order.
ORDER_STATE_COLUMNS = (
    "source",
    "order_id",
    "person_key",
    "content_id",
    "status",
    "ordered_at",
    "updated_at",
    "dt",
)


def business_day(ts: Column) -> Column:
    return F.to_date(F.from_utc_timestamp(ts, PLATFORM_TIMEZONE))


def window_bounds(dt: str, days: int) -> tuple[datetime.date, datetime.date]:
    """First and last business day of a ``days``-long window ending at ``dt`` (inclusive)."""
    end = datetime.date.fromisoformat(dt)
    return end - datetime.timedelta(days=days - 1), end


def _weight(event_type: Column, weights: dict[str, float]) -> Column:
    expr = F.lit(0.0)
    for name, weight in sorted(weights.items()):
        expr = F.when(event_type == name, F.lit(float(weight))).otherwise(expr)
    return expr


def latest_orders(orders: DataFrame) -> DataFrame:
    """One row per (source, order_id): the version with the latest ``updated_at``."""
    w = Window.partitionBy("source", "order_id").orderBy(
        F.col("updated_at").desc(), F.col("dt").desc()
    )
    return orders.withColumn("_v", F.row_number().over(w)).where("_v = 1").drop("_v")


def order_state(carried: DataFrame | None, delivered: DataFrame) -> DataFrame:
    """The latest version of every order: ``carried`` (the state of an earlier night, None on
    the first) updated with the orders ``delivered`` since (on the first night: all of them).
    What a person owns and the purchases of the window come from it, so a night reads its own
    orders and one state partition, never every night's orders."""
    new = delivered.select(*ORDER_STATE_COLUMNS)
    both = new if carried is None else carried.select(*ORDER_STATE_COLUMNS).unionByName(new)
    return latest_orders(both)


def owned(orders: DataFrame, as_of: datetime.date | None = None) -> DataFrame:
    """(person_key, content_id) the person owns: a paid or partially refunded order (ordered
    on or before ``as_of`` when given)."""
    paid = latest_orders(orders).where(F.col("status").isin(*OWNING_STATUSES))
    if as_of is not None:
        paid = paid.where(business_day(F.col("ordered_at")) <= F.lit(as_of))
    return paid.select("person_key", "content_id").distinct()


def excluded(
    weighted: DataFrame, orders: DataFrame, first_day: datetime.date, last_day: datetime.date
) -> DataFrame:
    """(person_key, content_id) never recommended as of ``last_day``: THE exclusion rule, one
    for the published lists and for every list the evaluation and the tuning judge.

    - what the person owns (:func:`owned` as of ``last_day``: paid, not fully refunded), ever;
    - what the person engaged with from ``first_day`` to ``last_day`` (any weighted event:
      viewed, played, completed, liked, bought...). The lists are for discovery, and the
      evaluation counts as relevant only what a person touches for the first time; an item the
      person already knows is for the app's "continue" and "watch again" rows.
    """
    seen = weighted.where(F.col("day").between(F.lit(first_day), F.lit(last_day)))
    return seen.select("person_key", "content_id").unionByName(owned(orders, last_day)).distinct()


def weighted_events(events: DataFrame, orders: DataFrame, weights: dict[str, float]) -> DataFrame:
    """Every signal as (person_key, content_id, day, weight), purchases included."""
    engagement = events.select(
        "person_key",
        "content_id",
        business_day(F.col("event_at")).alias("day"),
        _weight(F.col("event_type"), weights).alias("weight"),
    )
    bought = (
        latest_orders(orders)
        .where(F.col("status").isin(*OWNING_STATUSES))
        .select(
            "person_key",
            "content_id",
            business_day(F.col("ordered_at")).alias("day"),
            F.lit(float(weights["purchase"])).alias("weight"),
        )
    )
    return engagement.unionByName(bought).where(F.col("weight") > 0)


def confidence(weighted: DataFrame, first_day: datetime.date, last_day: datetime.date) -> DataFrame:
    """(person_key, content_id, confidence) summed over ``first_day``..``last_day``."""
    return (
        weighted.where(F.col("day").between(F.lit(first_day), F.lit(last_day)))
        .groupBy("person_key", "content_id")
        .agg(F.sum("weight").cast("float").alias("confidence"))
    )
