"""Per-person features over a look-back window ending at the run date (pure transforms).

Input frames have the clean-zone columns (``contracts.clean_columns``) and the person
dimension's columns (curated/persons). Business dates are taken in the platform timezone.

- recency_days: days from the last paid order (net of refunds > 0) to the run date;
  ``lookback_days`` when there is none in the window
- frequency: paid orders whose net amount is above zero
- monetary_cny: sum of net amounts (amount - refund_amount), converted to CNY at the rate of
  the order date (the latest rate on or before it), decimal(18,2), rounded half-even per order
- watch_minutes: sum of ``duration_s`` / 60 over all events in the window
- play_seconds: mean ``duration_s`` of the events that have one (0 when none): how long a
  person stays once they start
- completion_rate: distinct content completed / distinct content started (0 when none started)
- share_<category>: share of engagement events (every type but campaign clicks) per catalog
  category; the shares of a person with engagement sum to 1, all 0 otherwise
- sources_touched: distinct alliance sources the person is registered with or active in
- membership_tier, tier_rank (free=0 .. platinum=3), age_band
"""

from __future__ import annotations

import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from alliance_pipeline.contracts import CATEGORIES, EVENT_TYPES, MEMBERSHIP_TIERS
from alliance_pipeline.settings import PLATFORM_TIMEZONE

ENGAGEMENT_TYPES = tuple(t for t in EVENT_TYPES if t != "click")
START_TYPES = ("play", "progress", "complete")
SHARE_COLUMNS = tuple(f"share_{c}" for c in CATEGORIES)
MONEY = "decimal(18,2)"
# fx rates of this many days before the window are read so the first days have a rate.
FX_SLACK_DAYS = 10


def window_start(dt: datetime.date, lookback_days: int) -> datetime.date:
    """First day of the look-back window that ends at (and includes) ``dt``."""
    return dt - datetime.timedelta(days=lookback_days - 1)


def local_date(ts: Column) -> Column:
    return F.to_date(F.from_utc_timestamp(ts, PLATFORM_TIMEZONE))


def latest_orders(orders: DataFrame) -> DataFrame:
    """One row per (source, order_id): the latest ``updated_at`` wins (re-deliveries)."""
    w = Window.partitionBy("source", "order_id").orderBy(F.col("updated_at").desc(), F.desc("dt"))
    return orders.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


def daily_rates(fx_rates: DataFrame, start: datetime.date, end: datetime.date) -> DataFrame:
    """(date, currency, cny_per_unit) for every day of [start, end]: the latest rate on or
    before each day; CNY is 1. A currency without any earlier rate has a null rate."""
    fx = fx_rates.select("date", "currency", "cny_per_unit", "dt")
    w_latest = Window.partitionBy("date", "currency").orderBy(F.desc("dt"))
    fx = fx.withColumn("_rn", F.row_number().over(w_latest)).where("_rn = 1").drop("_rn", "dt")
    days = fx.sparkSession.range(1).select(
        F.explode(F.sequence(F.lit(start), F.lit(end))).alias("date")
    )
    currencies = fx.select("currency").where("currency <> 'CNY'").distinct()
    grid = days.crossJoin(currencies).withColumn("_grid", F.lit(True))
    filled = grid.unionByName(fx.withColumn("_grid", F.lit(False)), allowMissingColumns=True)
    w_fill = (
        Window.partitionBy("currency")
        .orderBy("date", "_grid")
        .rowsBetween(Window.unboundedPreceding, 0)
    )
    filled = filled.withColumn("_rate", F.last("cny_per_unit", ignorenulls=True).over(w_fill))
    rates = filled.where("_grid").select("date", "currency", F.col("_rate").alias("cny_per_unit"))
    cny = days.select("date", F.lit("CNY").alias("currency"), F.lit(1).cast("decimal(18,6)"))
    return rates.unionByName(cny.toDF("date", "currency", "cny_per_unit"))


def orders_in_cny(
    orders: DataFrame, fx_rates: DataFrame, start: datetime.date, end: datetime.date
) -> DataFrame:
    """Latest version of each order placed in [start, end] with ``order_date`` and
    ``net_cny`` (decimal(18,2), null when no rate is known for its currency)."""
    o = latest_orders(orders).withColumn("order_date", local_date(F.col("ordered_at")))
    o = o.where(F.col("order_date").between(F.lit(start), F.lit(end)))
    rates = daily_rates(fx_rates, start - datetime.timedelta(days=FX_SLACK_DAYS), end)
    o = o.join(
        F.broadcast(rates.withColumnRenamed("date", "order_date")),
        ["order_date", "currency"],
        "left",
    )
    net = F.greatest(F.col("amount") - F.coalesce(F.col("refund_amount"), F.lit(0)), F.lit(0))
    return o.withColumn("net_cny", F.bround(net * F.col("cny_per_unit"), 2).cast(MONEY))


def order_features(orders_cny: DataFrame, end: datetime.date) -> DataFrame:
    """person_key, recency_days (null without paid orders), frequency, monetary_cny."""
    paid = orders_cny.where(F.col("net_cny") > 0)
    return paid.groupBy("person_key").agg(
        F.datediff(F.lit(end), F.max("order_date")).alias("recency_days"),
        F.count(F.lit(1)).alias("frequency"),
        F.sum("net_cny").cast(MONEY).alias("monetary_cny"),
    )


def events_in_window(events: DataFrame, start: datetime.date, end: datetime.date) -> DataFrame:
    d = local_date(F.col("event_at"))
    return events.where(d.between(F.lit(start), F.lit(end)))


def watch_features(events: DataFrame) -> DataFrame:
    """person_key, watch_minutes, play_seconds, completion_rate."""
    started = F.when(F.col("event_type").isin(*START_TYPES), F.col("content_id"))
    completed = F.when(F.col("event_type") == "complete", F.col("content_id"))
    n_started = F.count_distinct(started)
    return events.groupBy("person_key").agg(
        (F.sum(F.coalesce(F.col("duration_s"), F.lit(0))) / F.lit(60.0)).alias("watch_minutes"),
        F.avg(F.col("duration_s").cast("double")).alias("play_seconds"),
        F.when(n_started > 0, F.count_distinct(completed) / n_started)
        .otherwise(F.lit(0.0))
        .alias("completion_rate"),
    )


def category_shares(events: DataFrame, catalog: DataFrame) -> DataFrame:
    """person_key + one share_<category> column per contract category, summing to 1."""
    categories = latest_catalog(catalog).select("content_id", "category")
    engaged = events.where(F.col("event_type").isin(*ENGAGEMENT_TYPES)).join(
        F.broadcast(categories), "content_id"
    )
    counts = engaged.groupBy("person_key").pivot("category", list(CATEGORIES)).count()
    counts = counts.fillna(0, subset=list(CATEGORIES))
    total = sum((F.col(c) for c in CATEGORIES), F.lit(0))
    return counts.select(
        "person_key", *[(F.col(c) / total).alias(f"share_{c}") for c in CATEGORIES]
    )


def latest_catalog(catalog: DataFrame) -> DataFrame:
    w = Window.partitionBy("content_id").orderBy(F.desc("dt"))
    return catalog.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


def sources_touched(persons: DataFrame, *activity: DataFrame) -> DataFrame:
    """person_key, sources_touched: registered sources plus sources of activity in the window."""
    registered = persons.select(
        "person_key", F.explode(F.split(F.col("sources"), ";")).alias("source")
    )
    touched = registered
    for df in activity:
        touched = touched.unionByName(df.select("person_key", "source"))
    return (
        touched.where(F.col("source") != "")
        .groupBy("person_key")
        .agg(F.count_distinct("source").cast("int").alias("sources_touched"))
    )


def tier_rank(tier: Column) -> Column:
    expr = F.lit(0)
    for rank, name in enumerate(MEMBERSHIP_TIERS):
        expr = F.when(tier == name, F.lit(rank)).otherwise(expr)
    return expr.cast("int")


def person_features(
    persons: DataFrame,
    orders_cny: DataFrame,
    events: DataFrame,
    catalog: DataFrame,
    dt: datetime.date,
    lookback_days: int,
) -> DataFrame:
    """One row per person of the person dimension, columns as in the module doc + run_date.

    ``orders_cny`` comes from :func:`orders_in_cny` over the same window.
    """
    o = orders_cny
    e = events_in_window(events, window_start(dt, lookback_days), dt)
    base = persons.select("person_key", "membership_tier", "age_band")
    out = (
        base.join(order_features(o, dt), "person_key", "left")
        .join(watch_features(e), "person_key", "left")
        .join(category_shares(e, catalog), "person_key", "left")
        .join(sources_touched(persons, o, e), "person_key", "left")
    )
    return out.select(
        "person_key",
        F.lit(dt).alias("run_date"),
        F.coalesce("recency_days", F.lit(lookback_days)).cast("int").alias("recency_days"),
        F.coalesce("frequency", F.lit(0)).cast("long").alias("frequency"),
        F.coalesce("monetary_cny", F.lit(0).cast(MONEY)).alias("monetary_cny"),
        F.coalesce("watch_minutes", F.lit(0.0)).alias("watch_minutes"),
        F.coalesce("play_seconds", F.lit(0.0)).alias("play_seconds"),
        F.coalesce("completion_rate", F.lit(0.0)).alias("completion_rate"),
        *[F.coalesce(c, F.lit(0.0)).alias(c) for c in SHARE_COLUMNS],
        F.coalesce("sources_touched", F.lit(0)).alias("sources_touched"),
        F.coalesce("membership_tier", F.lit("free")).alias("membership_tier"),
        tier_rank(F.col("membership_tier")).alias("tier_rank"),
        F.coalesce("age_band", F.lit("unknown")).alias("age_band"),
    )


def missing_rates(orders_cny: DataFrame) -> DataFrame:
    """(currency, order_date, orders) of orders that could not be converted: a bad input."""
    return (
        orders_cny.where(F.col("net_cny").isNull())
        .groupBy("source", "currency", "order_date")
        .agg(F.count(F.lit(1)).alias("orders"))
    )
