"""What a pair did in the days after its cut-off: clicked the campaign, ordered through it.

For a cut-off ``day`` the label period is (day, horizon_end]: ``label_days`` long, cut at the
campaign's end. ``click``: the person clicked the campaign in it. ``order``: the person placed
an order in it that the campaign is credited with by the rules of settlement/attribution.py,
as far as they are the campaign's and not a contract's: the campaign's referral code, the
campaign passed at checkout, or a click on the campaign before the order (inside the period).
"""

from __future__ import annotations

import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def with_labels(
    pairs_at: DataFrame,
    events: DataFrame,
    orders: DataFrame,
    campaigns: DataFrame,
    day: datetime.date,
    label_days: int,
) -> DataFrame:
    """``pairs_at`` (person_key, campaign_id, horizon_end, ...) with ``click`` and ``order``
    (0.0 / 1.0). ``events`` and ``orders`` carry ``day`` (features.with_day, orders_placed)."""
    first, last = (
        F.lit(day + datetime.timedelta(days=1)),
        F.lit(day + datetime.timedelta(days=label_days)),
    )
    horizon = pairs_at.select("person_key", "campaign_id", "horizon_end")
    clicks = (
        events.where(
            (F.col("event_type") == "click")
            & F.col("campaign_id").isNotNull()
            & F.col("day").between(first, last)
        )
        .join(horizon, ["person_key", "campaign_id"])
        .where(F.col("day") <= F.col("horizon_end"))
        .groupBy("person_key", "campaign_id")
        .agg(F.min("event_at").alias("first_click"))
    )
    placed = orders.where(F.col("day").between(first, last))
    codes = campaigns.where(F.col("referral_code").isNotNull()).select(
        F.col("campaign_id").alias("_by_code"), "referral_code"
    )
    direct = (
        placed.join(F.broadcast(codes), "referral_code", "left")
        .select("person_key", "day", F.explode(F.array_compact(F.array("campaign_id", "_by_code")))
                .alias("campaign_id"))
    )  # fmt: skip
    after_click = placed.select("person_key", "day", "ordered_at").join(clicks, "person_key")
    after_click = after_click.where(F.col("ordered_at") >= F.col("first_click")).select(
        "person_key", "day", "campaign_id"
    )
    ordered = (
        direct.unionByName(after_click)
        .join(horizon, ["person_key", "campaign_id"])
        .where(F.col("day") <= F.col("horizon_end"))
        .select("person_key", "campaign_id", F.lit(1.0).alias("order"))
        .distinct()
    )
    clicked = clicks.select("person_key", "campaign_id", F.lit(1.0).alias("click"))
    return (
        pairs_at.join(clicked, ["person_key", "campaign_id"], "left")
        .join(ordered, ["person_key", "campaign_id"], "left")
        .fillna(0.0, subset=["click", "order"])
    )
