"""Net revenue per order: latest re-delivered version, minus refunds and chargebacks, in minor units.

Business dates and settlement periods are taken in the platform's timezone (Asia/Shanghai).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pandas as pd

from alliance_pipeline.settings import PLATFORM_TIMEZONE
from alliance_pipeline.settlement.money import to_minor

PLATFORM_TZ = ZoneInfo(PLATFORM_TIMEZONE)
# Statuses whose missing refund_amount means the whole amount went back to the buyer.
FULL_REVERSAL = ("refunded", "chargeback")


def business_date(ts: datetime.datetime | pd.Timestamp) -> datetime.date:
    """The Asia/Shanghai calendar date of an offset-aware timestamp."""
    if ts.tzinfo is None:
        raise ValueError("timestamps must carry an offset")
    return ts.astimezone(PLATFORM_TZ).date()


def period_of(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True, slots=True)
class OrderNet:
    source: str
    order_id: str
    person_key: str
    content_id: str
    currency: str
    ordered_at: datetime.datetime
    order_date: datetime.date
    status: str
    amount_minor: int
    refund_minor: int
    net_minor: int  # in the order currency
    referral_code: str | None
    channel: str | None

    @property
    def period(self) -> str:
        return period_of(self.order_date)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.order_id)


def latest_versions(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per (source, order_id): the latest updated_at, later delivery first on ties."""
    ordered = orders.sort_values(["source", "order_id", "updated_at", "dt"], kind="mergesort")
    return ordered.drop_duplicates(["source", "order_id"], keep="last").reset_index(drop=True)


def _opt(value) -> str | None:
    return (
        None
        if value is None or (isinstance(value, float) or value is pd.NA) or value == ""
        else value
    )


def order_net(row) -> OrderNet:
    """Net amount of one order version: amount minus what was refunded or charged back."""
    currency = row["currency"]
    amount = to_minor(row["amount"], currency)
    refund_raw = row.get("refund_amount")
    if isinstance(refund_raw, Decimal):
        refund = to_minor(refund_raw, currency)
    elif row["status"] in FULL_REVERSAL:
        refund = amount
    else:
        refund = 0
    refund = min(refund, amount)
    ordered_at = pd.Timestamp(row["ordered_at"]).to_pydatetime()
    return OrderNet(
        source=row["source"],
        order_id=row["order_id"],
        person_key=row["person_key"],
        content_id=row["content_id"],
        currency=currency,
        ordered_at=ordered_at,
        order_date=business_date(ordered_at),
        status=row["status"],
        amount_minor=amount,
        refund_minor=refund,
        net_minor=amount - refund,
        referral_code=_opt(row.get("referral_code")),
        channel=_opt(row.get("channel")),
    )


def order_nets(orders: pd.DataFrame) -> list[OrderNet]:
    """Every order's latest version as an :class:`OrderNet`, in (source, order_id) order."""
    return [order_net(row) for row in latest_versions(orders).to_dict("records")]


class FxRates:
    """Daily rates into CNY; a conversion uses the rate of the order's business date."""

    def __init__(self, fx: pd.DataFrame):
        self._rates: dict[tuple[str, datetime.date], Decimal] = {}
        self._exact: dict[tuple[str, str, datetime.date], Fraction] = {}
        for row in fx.sort_values(["dt"], kind="mergesort").to_dict("records"):
            rate = row["cny_per_unit"]
            if not isinstance(rate, Decimal):
                raise TypeError("fx_rates.cny_per_unit must be Decimal")
            self._rates[row["currency"], _as_date(row["date"])] = rate

    @property
    def rates(self) -> dict[tuple[str, datetime.date], Decimal]:
        """(currency, day) -> CNY per unit, the rate each order of that day converts at."""
        return self._rates

    def cny_per_unit(self, currency: str, day: datetime.date) -> Decimal:
        if currency == "CNY":
            return Decimal(1)
        try:
            return self._rates[currency, day]
        except KeyError:
            raise LookupError(
                f"source platform, dataset fx_rates, dt {day}: no rate for {currency} "
                "(rule: orders convert at their order date's rate)"
            ) from None

    def rate(self, from_ccy: str, to_ccy: str, day: datetime.date) -> Fraction:
        """Units of ``to_ccy`` for one unit of ``from_ccy`` on ``day``, exact."""
        if from_ccy == to_ccy:
            return Fraction(1)
        key = (from_ccy, to_ccy, day)
        if key not in self._exact:  # asked once per credit and line: a day's rate repeats
            self._exact[key] = Fraction(self.cny_per_unit(from_ccy, day)) / Fraction(
                self.cny_per_unit(to_ccy, day)
            )
        return self._exact[key]


def _as_date(value) -> datetime.date:
    if isinstance(value, pd.Timestamp | datetime.datetime):
        return value.date()
    return value
