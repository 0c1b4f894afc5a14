"""The (person, campaign) pairs of a cut-off day and their features (pure DataFrame transforms).

Pairs: every campaign running on the cut-off (start_date <= day <= end_date) with every person
known to its partner (``sources`` of curated/persons holds the partner id); a campaign of a
platform source goes to every person. Features use only what was known on the cut-off day: the
clean events and orders of the ``history_days`` up to it, the latest curated/features and
curated/person_segment partitions on or before it, and the campaign as delivered.

- person (curated/features): recency, frequency, monetary, watch minutes, completion rate,
  sources touched, tier rank, the person's share of engagement in the campaign's category;
  segment (curated/person_segment)
- history: the person's events and orders at the campaign's partner, clicks on the partner's
  campaigns and on this campaign, engagement with the campaign's category, all events
- campaign: partner, category (the catalog category most of its touches point at), channel
  (the delivery channel with the most impressions), objective, days running, persons who
  clicked it
Counts enter as log(1 + n).
"""

from __future__ import annotations

import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from alliance_pipeline.contracts import CATEGORIES
from alliance_pipeline.segmentation.features import latest_catalog, latest_orders, local_date

CATEGORICAL = ("partner_id", "category", "channel", "objective", "segment")
PERSON_NUMERIC = (
    "recency_days",
    "frequency",
    "monetary_cny",
    "watch_minutes",
    "completion_rate",
    "sources_touched",
    "tier_rank",
)
COUNTS = (
    "events_total",
    "partner_events",
    "partner_orders",
    "partner_clicks",
    "campaign_clicks",
    "category_events",
    "campaign_clickers",
)
NUMERIC = (*PERSON_NUMERIC, "category_share", "days_running", *COUNTS)
UNKNOWN = "unknown"


def with_day(df: DataFrame, ts: str) -> DataFrame:
    """``df`` with ``day``: the Asia/Shanghai date of ``ts``."""
    return df.withColumn("day", local_date(F.col(ts)))


def orders_placed(orders: DataFrame) -> DataFrame:
    """One row per order (its latest version) with ``day``, the date it was placed."""
    cols = ("source", "order_id", "person_key", "ordered_at", "campaign_id", "referral_code")
    return with_day(latest_orders(orders).select(*cols), "ordered_at")


def campaign_snapshot(campaigns: DataFrame) -> DataFrame:
    """One row per campaign: its latest delivered version."""
    w = Window.partitionBy("campaign_id").orderBy(F.desc("dt"), F.desc("source"))
    return campaigns.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


def running(campaigns: DataFrame, day: datetime.date, label_days: int | None) -> DataFrame:
    """Campaigns running on ``day``; with ``label_days``, only those still running after it,
    with ``horizon_end``: the last day their labels look at."""
    on = F.lit(day)
    out = campaigns.where((F.col("start_date") <= on) & (on <= F.col("end_date")))
    if label_days is None:
        return out
    out = out.where(F.col("end_date") > on)
    end = F.least(F.col("end_date"), F.date_add(on, label_days))
    return out.withColumn("horizon_end", end)


def pairs(persons: DataFrame, campaigns: DataFrame, platform_sources: list[str]) -> DataFrame:
    """(person_key, campaign columns): each running campaign with the persons its partner knows
    (a platform source's campaign: every person)."""
    known = persons.select(
        "person_key", F.explode(F.split(F.col("sources"), ";")).alias("partner_id")
    )
    is_platform = F.col("partner_id").isin(*platform_sources) if platform_sources else F.lit(False)
    partner = campaigns.where(~is_platform).join(known, "partner_id")
    platform = campaigns.where(is_platform).crossJoin(persons.select("person_key"))
    return partner.unionByName(platform)


def _between(df: DataFrame, first: datetime.date, last: datetime.date) -> DataFrame:
    return df.where(F.col("day").between(F.lit(first), F.lit(last)))


def _top(df: DataFrame, key: str, value: str, weight: Column) -> DataFrame:
    """(key, value): for each ``key`` the ``value`` of the largest ``weight`` (ties by value)."""
    agg = df.groupBy(key, value).agg(weight.alias("_w"))
    w = Window.partitionBy(key).orderBy(F.desc("_w"), F.col(value))
    return agg.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").select(key, value)


def campaign_features(
    running_campaigns: DataFrame,
    events: DataFrame,
    delivery: DataFrame,
    catalog: DataFrame,
    first: datetime.date,
    day: datetime.date,
) -> DataFrame:
    """``running_campaigns`` with category, channel, days_running, campaign_clickers."""
    categories = latest_catalog(catalog).select("content_id", "category")
    touches = _between(events, first, day).where(
        F.col("campaign_id").isNotNull() & F.col("event_type").isin("click", "view")
    )
    category = _top(touches.join(F.broadcast(categories), "content_id"), "campaign_id",
                    "category", F.count(F.lit(1)))  # fmt: skip
    shown = delivery.where(F.col("date").between(F.lit(first), F.lit(day)))
    channel = _top(shown, "campaign_id", "channel", F.sum("impressions"))
    clickers = (
        touches.where(F.col("event_type") == "click")
        .groupBy("campaign_id")
        .agg(F.count_distinct("person_key").alias("campaign_clickers"))
    )
    return (
        running_campaigns.join(category, "campaign_id", "left")
        .join(channel, "campaign_id", "left")
        .join(clickers, "campaign_id", "left")
        .fillna(UNKNOWN, subset=["category", "channel", "objective"])
        .withColumn("days_running", F.datediff(F.lit(day), F.col("start_date")).cast("double"))
    )


def history(
    pairs_at: DataFrame,
    events: DataFrame,
    orders: DataFrame,
    catalog: DataFrame,
    partner_of: DataFrame,
    first: datetime.date,
    day: datetime.date,
) -> DataFrame:
    """``pairs_at`` (person_key, campaign_id, partner_id, category) with the history counts."""
    ev = _between(events, first, day)
    od = _between(orders, first, day)
    categories = latest_catalog(catalog).select("content_id", F.col("category").alias("_cat"))
    engaged = ev.where(F.col("campaign_id").isNull())
    clicks = ev.where((F.col("event_type") == "click") & F.col("campaign_id").isNotNull())
    n = F.count(F.lit(1))
    keyed = (
        (engaged.groupBy("person_key").agg(n.alias("events_total")), ["person_key"]),
        (
            engaged.groupBy("person_key", F.col("source").alias("partner_id"))
            .agg(n.alias("partner_events")),
            ["person_key", "partner_id"],
        ),
        (
            od.groupBy("person_key", F.col("source").alias("partner_id"))
            .agg(n.alias("partner_orders")),
            ["person_key", "partner_id"],
        ),
        (
            clicks.join(F.broadcast(partner_of), "campaign_id")
            .groupBy("person_key", "partner_id")
            .agg(n.alias("partner_clicks")),
            ["person_key", "partner_id"],
        ),
        (
            clicks.groupBy("person_key", "campaign_id").agg(n.alias("campaign_clicks")),
            ["person_key", "campaign_id"],
        ),
        (
            engaged.join(F.broadcast(categories), "content_id")
            .groupBy("person_key", F.col("_cat").alias("category"))
            .agg(n.alias("category_events")),
            ["person_key", "category"],
        ),
    )  # fmt: skip
    out = pairs_at
    for frame, keys in keyed:
        out = out.join(frame, keys, "left")
    return out


def person_features(persons_features: DataFrame | None, segments: DataFrame | None):
    """(person_key, PERSON_NUMERIC..., share_<category>..., segment) or None parts: a cut-off
    without a features or segment partition gets zeros and segment ``unknown``."""
    cols = [*PERSON_NUMERIC, *(f"share_{c}" for c in CATEGORIES)]
    feats = None
    if persons_features is not None:
        feats = persons_features.select(
            "person_key", *[F.col(c).cast("double").alias(c) for c in cols]
        )
    segs = None
    if segments is not None:
        segs = segments.select("person_key", F.col("segment_id").cast("string").alias("segment"))
    return feats, segs


def category_share() -> Column:
    """The person's share of engagement in the campaign's category."""
    expr = F.lit(0.0)
    for c in CATEGORIES:
        expr = F.when(F.col("category") == c, F.col(f"share_{c}")).otherwise(expr)
    return expr


def assemble(base: DataFrame, feats: DataFrame | None, segs: DataFrame | None) -> DataFrame:
    """The model's columns: keys, CATEGORICAL, NUMERIC (nulls as 0 / ``unknown``)."""
    out = base
    if feats is not None:
        out = out.join(feats, "person_key", "left")
    else:
        for c in (*PERSON_NUMERIC, *(f"share_{c}" for c in CATEGORIES)):
            out = out.withColumn(c, F.lit(None).cast("double"))
    out = (
        out.join(segs, "person_key", "left")
        if segs is not None
        else out.withColumn("segment", F.lit(None).cast("string"))
    )
    out = out.withColumn("category_share", category_share())
    numeric = [
        (F.log1p(F.coalesce(F.col(c).cast("double"), F.lit(0.0))) if c in COUNTS
         or c in ("frequency", "monetary_cny", "watch_minutes") else
         F.coalesce(F.col(c).cast("double"), F.lit(0.0))).alias(c)
        for c in NUMERIC
    ]  # fmt: skip
    keep = [c for c in ("horizon_end",) if c in base.columns]
    return out.select(
        "person_key",
        "campaign_id",
        *keep,
        *[F.coalesce(F.col(c).cast("string"), F.lit(UNKNOWN)).alias(c) for c in CATEGORICAL],
        *numeric,
    )


def features_at(
    day: datetime.date,
    history_days: int,
    label_days: int | None,
    inputs: dict[str, DataFrame | None],
    platform_sources: list[str],
) -> DataFrame:
    """The pairs of ``day`` with their features. ``inputs``: events and orders (with ``day``,
    from :func:`with_day` / :func:`orders_placed`), campaigns (:func:`campaign_snapshot`),
    delivery, catalog, persons, and the person features and segments of ``day`` (or None)."""
    first = day - datetime.timedelta(days=history_days - 1)
    camps = running(inputs["campaigns"], day, label_days)
    camps = campaign_features(camps, inputs["events"], inputs["delivery"], inputs["catalog"],
                              first, day)  # fmt: skip
    cols = ["campaign_id", "partner_id", "category", "channel", "objective", "days_running",
            "campaign_clickers", *(["horizon_end"] if label_days is not None else [])]  # fmt: skip
    base = pairs(inputs["persons"], camps.select(*cols), platform_sources)
    partner_of = inputs["campaigns"].select("campaign_id", "partner_id")
    base = history(base, inputs["events"], inputs["orders"], inputs["catalog"], partner_of,
                   first, day)  # fmt: skip
    feats, segs = person_features(inputs.get("features"), inputs.get("segments"))
    return assemble(base, feats, segs)
