"""The set-based settlement engine: order nets and attribution credits in DuckDB SQL.

The same rules as :mod:`alliance_pipeline.settlement.net` and
:mod:`alliance_pipeline.settlement.attribution` (the exact Python engine, kept as the tests'
oracle), computed over whole tables instead of order by order:

- nets: each order's latest version, its amount and refund in integer minor units;
- the contract of each (order, partner): the most specific one in force covering the content;
- eligible touches: a range join of orders and touches on the person, inside the contract's
  window (views only where it counts them);
- the cross-partner rule's shares and each contract model's weights as integer numerators over
  a common denominator, and both largest-remainder splits in integers (ROW_NUMBER over the
  remainders, ties to the earlier part, as :func:`money.allocate` breaks them).

Time decay weighs a touch by ``2 ** (-age / half-life)`` in 34-digit decimals, which SQL cannot
reproduce digit for digit: its paths leave SQL reduced to their eligible touches and their part
of the order, and are split by the Python engine's own ``touch_weights`` and ``split_order``.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from alliance_pipeline.lake.arrow_io import clean_schema
from alliance_pipeline.settings import PLATFORM_TIMEZONE
from alliance_pipeline.settlement import statements
from alliance_pipeline.settlement.attribution import (
    CROSS_PARTNER_RULES,
    DEFAULT_CROSS_PARTNER,
    DEFAULT_HALF_LIFE_DAYS,
    TOUCH_TYPES,
    Campaign,
    Content,
    Credit,
    Touch,
    split_order,
    touch_weights,
)
from alliance_pipeline.settlement.inputs import TOUCH_COLUMNS
from alliance_pipeline.settlement.money import MINOR_EXPONENT
from alliance_pipeline.settlement.net import FULL_REVERSAL, FxRates, OrderNet
from alliance_pipeline.settlement.rates import SCOPE_PRIORITY, Contract

RATIONAL_MODELS = ("last_touch", "first_touch", "linear", "position_based")
DAY_US = 86_400_000_000
RATE_SCALE = 10**6  # fx_rates.cny_per_unit has 6 places (contracts: rate)

ORDER_COLUMNS = (
    "source",
    "order_id",
    "person_key",
    "content_id",
    "currency",
    "ordered_at",
    "status",
    "amount",
    "refund_amount",
    "referral_code",
    "channel",
    "updated_at",
    "dt",
)

NETS_SQL = f"""
WITH latest AS (
  SELECT * FROM raw_orders
  QUALIFY row_number() OVER (
    PARTITION BY source, order_id ORDER BY updated_at DESC NULLS FIRST, dt DESC, pos DESC) = 1
), minor AS (
  SELECT l.*, e.exponent,
         CAST(l.amount * pow10 AS DECIMAL(38, 2)) AS amount_scaled,
         CAST(l.refund_amount * pow10 AS DECIMAL(38, 2)) AS refund_scaled
  FROM latest l LEFT JOIN exponents e USING (currency)
), nets AS (
  SELECT *, CAST(amount_scaled AS HUGEINT) AS amount_minor,
         least(CASE WHEN refund_scaled IS NOT NULL THEN CAST(refund_scaled AS HUGEINT)
                    WHEN status IN {FULL_REVERSAL!r} THEN CAST(amount_scaled AS HUGEINT)
                    ELSE 0 END,
               CAST(amount_scaled AS HUGEINT)) AS refund_minor
  FROM minor
)
SELECT source, order_id, person_key, content_id, currency, ordered_at,
       CAST(timezone('{PLATFORM_TIMEZONE}', ordered_at) AS DATE) AS order_date, status,
       amount_minor, refund_minor, amount_minor - refund_minor AS net_minor,
       nullif(referral_code, '') AS referral_code, nullif(channel, '') AS channel,
       exponent, amount_scaled <> trunc(amount_scaled) OR refund_scaled <> trunc(refund_scaled)
         AS not_whole
FROM nets ORDER BY source, order_id
"""

TOUCHES_SQL = f"""
SELECT person_key, campaign_id, event_at AS touched_at, event_type AS kind, pos AS tpos
FROM raw_events
WHERE event_type IN {TOUCH_TYPES!r} AND campaign_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY source, event_id ORDER BY pos DESC) = 1
"""

# One query (its steps as CTEs): each (order, partner)'s contract, the orders a referral code
# credits, the eligible touches; the shares of an order's partners (paths, the partner of the
# latest touch first) split by largest remainder; each rational model's weight of a touch as an
# integer over its path's denominator (a path's weights sum to 1), summed per campaign, and the
# path's part split over them. Rows: the credits, and the touches of time-decay paths with
# their part (``credit_minor`` NULL), in the Python engine's order.
CREDITS_SQL = f"""
WITH order_contract AS (
  SELECT o.idx, k.partner_id, k.contract_id, k.model, k.window_days, k.count_views
  FROM nets o LEFT JOIN catalog cat USING (content_id) JOIN contracts k
    ON o.order_date >= k.effective_from
   AND (k.effective_to IS NULL OR o.order_date <= k.effective_to)
   AND (k.scope = 'all_attributed'
        OR (k.scope = 'own_content' AND cat.owner_source = k.partner_id)
        OR (k.scope = 'co_brand_content' AND list_contains(cat.co_brands, k.partner_id)))
  QUALIFY row_number() OVER (
    PARTITION BY o.idx, k.partner_id ORDER BY k.scope_rank, k.effective_from DESC, k.contract_id
  ) = 1
), by_code AS (
  SELECT o.idx, c.campaign_id, c.partner_id, oc.contract_id, o.net_minor
  FROM nets o JOIN codes c ON c.referral_code = o.referral_code
  LEFT JOIN order_contract oc ON oc.idx = o.idx AND oc.partner_id = c.partner_id
), eligible AS (
  SELECT o.idx, o.net_minor, t.campaign_id, t.touched_at, t.tpos, c.partner_id,
         oc.contract_id, oc.model
  FROM nets o
  JOIN (touches t JOIN campaigns c USING (campaign_id))
    ON t.person_key = o.person_key AND t.touched_at <= o.ordered_at
   AND t.touched_at >= o.ordered_at - to_days(CAST($longest AS INTEGER))
  JOIN order_contract oc ON oc.idx = o.idx AND oc.partner_id = c.partner_id
  WHERE o.idx NOT IN (SELECT idx FROM by_code)
    AND epoch_us(o.ordered_at) - epoch_us(t.touched_at) <= oc.window_days * {DAY_US}
    AND (t.kind <> 'view' OR oc.count_views)
), ranked AS (
  SELECT *,
    row_number() OVER (
      PARTITION BY idx ORDER BY touched_at DESC, campaign_id DESC, tpos DESC) AS from_latest,
    row_number() OVER (
      PARTITION BY idx, contract_id ORDER BY touched_at, campaign_id, tpos) AS i,
    count(*) OVER (PARTITION BY idx, contract_id) AS n
  FROM eligible
), grouped AS (
  SELECT idx, contract_id, any_value(partner_id) AS partner_id, any_value(model) AS model,
         any_value(net_minor) AS net_minor, count(*) AS touches, min(from_latest) AS latest
  FROM ranked GROUP BY idx, contract_id
), numbered AS (
  SELECT *, row_number() OVER (PARTITION BY idx ORDER BY latest) AS path_rank,
         count(*) OVER (PARTITION BY idx) AS n_paths,
         sum(touches) OVER (PARTITION BY idx) AS n_touches
  FROM grouped
), shares AS (
  SELECT *,
    CASE $rule WHEN 'latest_partner' THEN CAST(path_rank = 1 AS INTEGER)
               WHEN 'by_touches' THEN touches ELSE 1 END AS share_num,
    CASE $rule WHEN 'latest_partner' THEN 1 WHEN 'by_touches' THEN n_touches
               ELSE n_paths END AS share_den
  FROM numbered
), share_floors AS (
  SELECT *, abs(CAST(net_minor AS HUGEINT)) * share_num // share_den AS q,
            abs(CAST(net_minor AS HUGEINT)) * share_num % share_den AS r
  FROM shares
), share_units AS (
  SELECT *, abs(CAST(net_minor AS HUGEINT)) - sum(q) OVER (PARTITION BY idx) AS left_over,
         row_number() OVER (PARTITION BY idx ORDER BY r DESC, path_rank) AS by_remainder
  FROM share_floors
), paths AS (
  SELECT idx, contract_id, partner_id, model, path_rank, share_num, share_den,
         sign(net_minor) * (q + CAST(by_remainder <= left_over AS INTEGER)) AS part
  FROM share_units WHERE share_num > 0
), weighted AS (
  SELECT r.idx, r.contract_id, r.campaign_id, p.partner_id, p.model, p.path_rank, p.part,
    p.share_num, p.share_den,
    CASE p.model WHEN 'last_touch' THEN CAST(i = n AS INTEGER)
                 WHEN 'first_touch' THEN CAST(i = 1 AS INTEGER)
                 WHEN 'linear' THEN 1
                 ELSE CASE WHEN n <= 2 OR i = 1 OR i = n THEN greatest(2 * (n - 2), 1) ELSE 1 END
    END AS w_num,
    CASE p.model WHEN 'last_touch' THEN 1 WHEN 'first_touch' THEN 1 WHEN 'linear' THEN n
                 ELSE CASE WHEN n <= 2 THEN n ELSE 5 * (n - 2) END
    END AS w_den
  FROM ranked r JOIN paths p USING (idx, contract_id)
  WHERE p.model <> 'time_decay'
), per_campaign AS (
  SELECT idx, contract_id, campaign_id, any_value(partner_id) AS partner_id,
         any_value(model) AS model, any_value(path_rank) AS path_rank, any_value(part) AS part,
         any_value(share_num) AS share_num, any_value(share_den) AS share_den,
         sum(w_num) AS w_num, any_value(w_den) AS w_den
  FROM weighted GROUP BY idx, contract_id, campaign_id HAVING sum(w_num) > 0
), split_floors AS (
  SELECT *, abs(CAST(part AS HUGEINT)) * w_num // w_den AS q,
            abs(CAST(part AS HUGEINT)) * w_num % w_den AS r
  FROM per_campaign
), split_units AS (
  SELECT *, abs(CAST(part AS HUGEINT)) - sum(q) OVER (PARTITION BY idx, contract_id) AS left_over,
         row_number() OVER (PARTITION BY idx, contract_id ORDER BY r DESC, campaign_id)
           AS by_remainder
  FROM split_floors
)
SELECT idx, 0 AS path_rank, campaign_id, partner_id, contract_id, 'referral_code' AS method,
       CAST(1 AS HUGEINT) AS weight_num, CAST(1 AS HUGEINT) AS weight_den,
       CAST(net_minor AS HUGEINT) AS credit_minor, NULL::TIMESTAMPTZ AS touched_at, 0 AS tpos
FROM by_code
UNION ALL
SELECT idx, path_rank, campaign_id, partner_id, contract_id, model,
       CAST(share_num * w_num AS HUGEINT), CAST(share_den * w_den AS HUGEINT),
       sign(part) * (q + CAST(by_remainder <= left_over AS INTEGER)), NULL, 0
FROM split_units
UNION ALL
SELECT r.idx, p.path_rank, r.campaign_id, p.partner_id, p.contract_id, p.model,
       p.share_num, p.share_den, p.part, r.touched_at, r.tpos
FROM ranked r JOIN paths p USING (idx, contract_id)
WHERE p.model = 'time_decay'
ORDER BY idx, path_rank, touched_at, campaign_id, tpos
"""


def connect(
    spill: Path | str | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC; with ``memory_limit``, spilling past it into ``spill``."""
    config = {}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if spill is not None:
        config["temp_directory"] = str(spill)
    con = duckdb.connect(config=config)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _one_copy():
    """``one(value)``: the first equal value seen, so that a column with few distinct values
    holds one object per value, not one per row (a night holds every open order in memory)."""
    seen: dict = {}
    return lambda value: seen.setdefault(value, value)


def _with_pos(table: pa.Table) -> pa.Table:
    return table.append_column("pos", pa.array(range(table.num_rows), pa.int64()))


def _arrow(frame: pd.DataFrame, dataset: str, columns: tuple[str, ...]) -> pa.Table:
    """The columns of a clean frame in the contract's Arrow types (decimals stay exact)."""
    schema = clean_schema(dataset)
    fields = [schema.field(c) for c in columns]
    return pa.Table.from_pandas(
        frame[list(columns)], schema=pa.schema(fields), preserve_index=False
    )


def order_nets(con: duckdb.DuckDBPyConnection, orders: pd.DataFrame) -> list[OrderNet]:
    """As :func:`net.order_nets`; leaves table ``nets`` (with ``idx``, the list position)."""
    con.register("raw_orders", _with_pos(_arrow(orders, "orders", ORDER_COLUMNS)))
    con.register(
        "exponents",
        pa.table(
            {
                "currency": list(MINOR_EXPONENT),
                "exponent": list(MINOR_EXPONENT.values()),
                "pow10": [10**e for e in MINOR_EXPONENT.values()],
            }
        ),
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE nets AS "
        f"SELECT row_number() OVER (ORDER BY source, order_id) - 1 AS idx, * FROM ({NETS_SQL})"
    )
    con.unregister("raw_orders")  # its Arrow copy is not needed past here
    (bad,) = con.execute(
        "SELECT any_value(currency) FILTER (WHERE exponent IS NULL), "
        "any_value(currency) FILTER (WHERE not_whole) FROM nets"
    ).fetchall()
    if bad[0] is not None:
        raise ValueError(f"unknown currency {bad[0]!r}")
    if bad[1] is not None:
        raise ValueError(f"an amount in {bad[1]} is not a whole number of minor units")
    rows = con.execute(
        "SELECT source, order_id, person_key, content_id, currency, ordered_at, order_date, "
        "status, amount_minor, refund_minor, net_minor, referral_code, channel "
        "FROM nets ORDER BY idx"
    ).fetchall()
    one = _one_copy()
    return [
        OrderNet(
            one(s), oid, pk, one(c), one(cur), at, one(d), one(st), a, r, n, one(code), one(ch)
        )
        for s, oid, pk, c, cur, at, d, st, a, r, n, code, ch in rows
    ]


def nets_table(orders: list[OrderNet]) -> pa.Table:
    """The ``nets`` table of OrderNet objects (the order's list position is its ``idx``)."""
    return pa.table(
        {
            "idx": pa.array(range(len(orders)), pa.int64()),
            "person_key": [o.person_key for o in orders],
            "content_id": [o.content_id for o in orders],
            "ordered_at": pa.array([o.ordered_at for o in orders], pa.timestamp("us", tz="UTC")),
            "order_date": pa.array([o.order_date for o in orders], pa.date32()),
            "net_minor": pa.array([o.net_minor for o in orders], pa.int64()),
            "referral_code": [o.referral_code for o in orders],
        }
    )


def touches_of(con: duckdb.DuckDBPyConnection, events: pa.Table) -> pa.Table:
    """As :func:`engine.touches_of`: each event's latest delivery, campaign clicks and views."""
    con.register("raw_events", _with_pos(events.select(list(TOUCH_COLUMNS))))
    touches = con.sql(TOUCHES_SQL).to_arrow_table()
    con.unregister("raw_events")
    return touches


def touch_table(touches_by_person: dict[str, list[Touch]]) -> pa.Table:
    rows = [(p, t) for p, ts in touches_by_person.items() for t in ts]
    return pa.table(
        {
            "person_key": [p for p, _ in rows],
            "campaign_id": [t.campaign_id for _, t in rows],
            "touched_at": pa.array([t.at for _, t in rows], pa.timestamp("us", tz="UTC")),
            "kind": [t.kind for _, t in rows],
            "tpos": pa.array(range(len(rows)), pa.int64()),
        }
    )


class SqlAttributor:
    """:class:`attribution.Attributor` over tables: same arguments, but the touches as a table
    (person_key, campaign_id, at, kind, tpos: :func:`touch_table`, :func:`touches_of`)."""

    def __init__(
        self,
        campaigns: list[Campaign],
        contracts: list[Contract],
        catalog: dict[str, Content],
        touches: pa.Table,
        half_life_days: int = DEFAULT_HALF_LIFE_DAYS,
        cross_partner: str = DEFAULT_CROSS_PARTNER,
        con: duckdb.DuckDBPyConnection | None = None,
    ):
        if cross_partner not in CROSS_PARTNER_RULES:
            raise ValueError(f"unknown settlement.cross_partner_rule {cross_partner!r}")
        for c in contracts:
            if c.attribution_model not in (*RATIONAL_MODELS, "time_decay"):
                raise ValueError(f"unknown attribution model {c.attribution_model!r}")
        self.con = con or connect()
        self.rule = cross_partner
        self.half_life_days = half_life_days
        self.contracts = {c.contract_id: c for c in contracts}
        self.longest_days = max((c.window_days for c in contracts), default=0)
        by_id = {c.campaign_id: c for c in campaigns}
        by_code = {c.referral_code: c for c in campaigns if c.referral_code}
        self.con.register(
            "campaigns",
            pa.table(
                {
                    "campaign_id": list(by_id),
                    "partner_id": [c.partner_id for c in by_id.values()],
                },
                schema=pa.schema([("campaign_id", pa.string()), ("partner_id", pa.string())]),
            ),
        )
        self.con.register(
            "codes",
            pa.table(
                {
                    "referral_code": list(by_code),
                    "campaign_id": [c.campaign_id for c in by_code.values()],
                    "partner_id": [c.partner_id for c in by_code.values()],
                },
                schema=pa.schema(
                    [(n, pa.string()) for n in ("referral_code", "campaign_id", "partner_id")]
                ),
            ),
        )
        self.con.register(
            "catalog",
            pa.table(
                {
                    "content_id": list(catalog),
                    "owner_source": [c.owner_source for c in catalog.values()],
                    "co_brands": [sorted(c.co_brands) for c in catalog.values()],
                },
                schema=pa.schema(
                    [
                        ("content_id", pa.string()),
                        ("owner_source", pa.string()),
                        ("co_brands", pa.list_(pa.string())),
                    ]
                ),
            ),
        )
        ks = list(self.contracts.values())
        self.con.register(
            "contracts",
            pa.table(
                {
                    "contract_id": [c.contract_id for c in ks],
                    "partner_id": [c.partner_id for c in ks],
                    "scope": [c.scope for c in ks],
                    "scope_rank": pa.array([SCOPE_PRIORITY.index(c.scope) for c in ks], pa.int64()),
                    "model": [c.attribution_model for c in ks],
                    "window_days": pa.array([c.window_days for c in ks], pa.int64()),
                    "count_views": pa.array([c.count_views for c in ks], pa.bool_()),
                    "effective_from": pa.array([c.effective_from for c in ks], pa.date32()),
                    "effective_to": pa.array([c.effective_to for c in ks], pa.date32()),
                }
            ),
        )
        self.con.register("touches", touches)

    def attribute_all(self, orders: list[OrderNet]) -> list[Credit]:
        self.con.register("nets", nets_table(orders))
        return self.attribute_nets(orders)

    def attribute_nets(self, orders: list[OrderNet]) -> list[Credit]:
        """Credits of the orders of table ``nets`` (``orders`` in its ``idx`` order), in the
        Python engine's order: by order, the latest-touching partner first, by campaign."""
        rows = self.con.execute(
            CREDITS_SQL, {"rule": self.rule, "longest": self.longest_days}
        ).fetchall()
        credits: list[Credit] = []
        one = _one_copy()
        start = 0
        while start < len(rows):
            idx, rank, cid, pid, kid, method, num, den, minor, touched_at, _ = rows[start]
            o, cid, pid, kid, method = orders[idx], one(cid), one(pid), one(kid), one(method)
            if touched_at is None:
                weight = one(Fraction(num, den))
                credits.append(self._credit(o, cid, pid, kid, method, weight, minor))
                start += 1
                continue
            end = start
            while end < len(rows) and rows[end][:2] == (idx, rank):
                end += 1
            credits.extend(self._decayed(o, pid, kid, Fraction(num, den), minor, rows[start:end]))
            start = end
        return credits

    def _credit(self, order, campaign_id, partner_id, contract_id, method, weight, minor):
        return Credit(
            order,
            campaign_id,
            partner_id,
            self.contracts.get(contract_id),
            method,
            weight,
            int(minor),
        )

    def _decayed(self, o, partner_id, contract_id, share, part, rows) -> list[Credit]:
        """A time-decay path, reduced to its touches and its part, split in Python."""
        path = [Touch(r[2], r[9], "click") for r in rows]
        weights = touch_weights("time_decay", path, o.ordered_at, self.half_life_days)
        return [
            self._credit(o, cid, partner_id, contract_id, "time_decay", share * w, m)
            for cid, (w, m) in split_order(int(part), path, weights).items()
        ]


# Each credit's net in its contract's currency (statements._convert_once, in integers): the
# order's net converted once per contract currency at its order date's rate (cny_per_unit as
# integer millionths), rounded half-even, and split over all the order's credits by largest
# remainder in campaign order.
CONVERT_SQL = f"""
WITH targets AS (
  SELECT DISTINCT order_source, order_id, net_minor, currency, order_date, to_ccy
  FROM credit_rows WHERE to_ccy IS NOT NULL
), rated AS (
  SELECT t.*,
    CASE WHEN t.currency = t.to_ccy THEN 1 WHEN t.currency = 'CNY' THEN {RATE_SCALE}
         ELSE rf.millionths END AS a,
    CASE WHEN t.currency = t.to_ccy THEN 1 WHEN t.to_ccy = 'CNY' THEN {RATE_SCALE}
         ELSE rt.millionths END AS b
  FROM targets t
  LEFT JOIN fx rf ON rf.currency = t.currency AND rf.date = t.order_date
  LEFT JOIN fx rt ON rt.currency = t.to_ccy AND rt.date = t.order_date
), totals AS (
  SELECT *, abs(CAST(net_minor AS HUGEINT)) * a // b AS q, abs(CAST(net_minor AS HUGEINT)) * a % b AS r
  FROM rated
), rounded AS (
  SELECT order_source, order_id, to_ccy, a IS NULL OR b IS NULL AS no_rate,
         sign(net_minor) * (q + CAST(2 * r > b OR (2 * r = b AND q % 2 = 1) AS INTEGER)) AS total
  FROM totals
), parts AS (
  SELECT c.pos, c.order_source, c.order_id, c.to_ccy AS own_ccy, t.to_ccy, t.total, t.no_rate,
         c.campaign_id,
         CAST(c.credit_minor AS HUGEINT) AS w,
         sum(CAST(c.credit_minor AS HUGEINT))
           OVER (PARTITION BY c.order_source, c.order_id, t.to_ccy) AS wsum
  FROM credit_rows c LEFT JOIN rounded t USING (order_source, order_id)
), floors AS (
  SELECT *, CASE WHEN wsum = 0 THEN 0 ELSE abs(total) * w // wsum END AS q,
            CASE WHEN wsum = 0 THEN 0 ELSE abs(total) * w % wsum END AS r
  FROM parts
), units AS (
  SELECT *,
    abs(total) - sum(q) OVER (PARTITION BY order_source, order_id, to_ccy) AS left_over,
    row_number() OVER (
      PARTITION BY order_source, order_id, to_ccy ORDER BY r DESC, campaign_id) AS by_remainder
  FROM floors
)
SELECT pos, bool_or(no_rate) AS no_rate,
       any_value(sign(total) * (q + CAST(by_remainder <= left_over AS INTEGER)))
         FILTER (WHERE to_ccy = own_ccy) AS net
FROM units GROUP BY pos ORDER BY pos
"""


def converted_credits(
    con: duckdb.DuckDBPyConnection, credits: list[Credit], fx: FxRates
) -> list[int | None]:
    """As :func:`statements.converted_credits`: each credit's net in its contract's currency
    (None without a contract)."""
    if any(c.credit_minor < 0 for c in credits) or any(
        (r * RATE_SCALE) % 1 for r in fx.rates.values()
    ):  # allocate refuses negative weights, and rates have 6 places: let Python say or do so
        return statements.converted_credits(credits, fx)
    con.register(
        "fx",
        pa.table(
            {
                "currency": [c for c, _ in fx.rates],
                "date": pa.array([d for _, d in fx.rates], pa.date32()),
                "millionths": pa.array(
                    [int(r * RATE_SCALE) for r in fx.rates.values()], pa.int64()
                ),
            },
            schema=pa.schema(
                [("currency", pa.string()), ("date", pa.date32()), ("millionths", pa.int64())]
            ),
        ),
    )
    orders = [c.order for c in credits]
    con.register(
        "credit_rows",
        pa.table(
            {
                "pos": pa.array(range(len(credits)), pa.int64()),
                "order_source": [o.source for o in orders],
                "order_id": [o.order_id for o in orders],
                "net_minor": pa.array([o.net_minor for o in orders], pa.int64()),
                "currency": [o.currency for o in orders],
                "order_date": pa.array([o.order_date for o in orders], pa.date32()),
                "campaign_id": [c.campaign_id for c in credits],
                "credit_minor": pa.array([c.credit_minor for c in credits], pa.int64()),
                "to_ccy": pa.array(
                    [c.contract.currency if c.contract else None for c in credits], pa.string()
                ),
            }
        ),
    )
    rows = con.execute(CONVERT_SQL).fetchall()
    for (_, no_rate, _), c in zip(rows, credits, strict=True):
        if no_rate:  # the engine's own error, naming the currency and date
            fx.rate(c.order.currency, c.contract.currency, c.order.order_date)
    return [None if net is None else int(net) for _, _, net in rows]
