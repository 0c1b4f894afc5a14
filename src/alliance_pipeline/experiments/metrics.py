"""The metric catalogue of the readouts: what an experiment may declare as primary or guardrail.

Every metric is computed per exposed person from what happened after their first exposure up to
the end of the night (the readout's per-person columns, :data:`PERSON_COLUMNS`); the same
columns over the ``pre_period_days`` before the first exposure are the CUPED covariates.
``mean`` metrics average one column over exposed persons; ``ratio`` metrics divide two sums
(their interval comes from the delta method). Money is in fen of CNY at the settled rate
(``mart.fct_order.net_amount_cny``), integers until the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# per exposed person: what the readout SQL computes (and its pre-exposure twin, "pre_" + name)
PERSON_COLUMNS = ("converted", "orders", "revenue_fen", "recommended_plays", "refunded_orders")


@dataclass(frozen=True)
class Metric:
    name: str
    kind: Literal["mean", "ratio"]
    numerator: str
    denominator: str | None  # a PERSON_COLUMNS name for ratio metrics, None for mean metrics
    money: bool
    higher_is_better: bool
    description: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("conversion", "mean", "converted", None, False, True,
               "share of exposed persons with an order after their first exposure"),
        Metric("orders_per_person", "mean", "orders", None, False, True,
               "orders placed after the first exposure, per exposed person"),
        Metric("revenue_per_person", "mean", "revenue_fen", None, True, True,
               "settled net revenue (CNY) of those orders, per exposed person"),
        Metric("recommended_plays_per_person", "mean", "recommended_plays", None, False, True,
               "plays of items recommended to the person, after the first exposure, per person"),
        Metric("average_order_value", "ratio", "revenue_fen", "orders", True, True,
               "settled net revenue (CNY) per order of exposed persons"),
        Metric("refund_rate", "ratio", "refunded_orders", "orders", False, False,
               "share of exposed persons' orders refunded or charged back"),
    )
}  # fmt: skip
