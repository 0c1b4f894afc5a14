"""Per-variant sums of every experiment, set-based in DuckDB.

The connection holds four relations (:mod:`.inputs` builds them from the lake and the settled
orders; tests build them from the generator):

    exposures(person_key, experiment_id, variant, exposed_at)
    orders(person_key, ordered_at, net_fen, refunded)   one row per order, net in fen of CNY
    plays(person_key, content_id, event_at)             play events
    recommended(person_key, content_id)                 what was recommended to whom

A person counts in an experiment from their first exposure inside its dates; persons exposed to
two variants of one experiment are left out (and counted, ``mixed_persons``). Their metrics
(:data:`.metrics.PERSON_COLUMNS`) cover their first exposure up to the end of the observation
(the night's end, or the experiment's last day); the ``pre_`` twins the ``pre_period_days``
before the first exposure, the CUPED covariates. Only sums per variant leave DuckDB.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from alliance_pipeline.experiments.assignment import sql_variant
from alliance_pipeline.experiments.metrics import METRICS, PERSON_COLUMNS
from alliance_pipeline.experiments.registry import Experiment
from alliance_pipeline.settings import PLATFORM_TIMEZONE

TZ = ZoneInfo(PLATFORM_TIMEZONE)
RATIO_PAIRS = sorted({(m.numerator, m.denominator) for m in METRICS.values() if m.denominator})


def day_start(day: datetime.date) -> datetime.datetime:
    """00:00 of a business day (Asia/Shanghai)."""
    return datetime.datetime.combine(day, datetime.time(), TZ)


def windows(experiments: list[Experiment], night: datetime.date) -> pa.Table:
    """Each experiment's exposure start, observation end and pre-period length."""
    night_end = day_start(night + datetime.timedelta(days=1))
    return pa.table(
        {
            "experiment_id": [e.id for e in experiments],
            "start_at": [day_start(e.start_date) for e in experiments],
            "end_at": [
                min(night_end, day_start(e.end_date + datetime.timedelta(days=1)))
                for e in experiments
            ],
            "pre_days": pa.array([e.pre_period_days for e in experiments], pa.int32()),
        },
        schema=pa.schema(
            [
                ("experiment_id", pa.string()),
                ("start_at", pa.timestamp("us", "UTC")),
                ("end_at", pa.timestamp("us", "UTC")),
                ("pre_days", pa.int32()),
            ]
        ),
    )


def _assigned(experiments: list[Experiment]) -> str:
    whens = " ".join(f"WHEN '{e.id}' THEN {sql_variant('p.person_key', e)}" for e in experiments)
    return f"CASE p.experiment_id {whens} END"


def _sums() -> str:
    cols = []
    for c in PERSON_COLUMNS:
        h = f"CAST({c} AS HUGEINT)"
        x = f"CAST(pre_{c} AS HUGEINT)"
        cols += [
            f"sum({h}) AS s_{c}",
            f"sum({h} * {h}) AS q_{c}",
            f"sum({x}) AS sx_{c}",
            f"sum({x} * {x}) AS qx_{c}",
            f"sum({h} * {x}) AS xy_{c}",
            f"count(*) FILTER (WHERE {c} > 0) AS nz_{c}",
        ]
    for num, den in RATIO_PAIRS:
        cols.append(f"sum(CAST({num} AS HUGEINT) * CAST({den} AS HUGEINT)) AS p_{num}_{den}")
    return ",\n    ".join(cols)


def _per_person(assigned: str) -> str:
    post = "o.ordered_at >= p.first_at AND o.ordered_at < p.end_at"
    pre = "o.ordered_at >= p.first_at - to_days(p.pre_days) AND o.ordered_at < p.first_at"
    ppost = "e.event_at >= p.first_at AND e.event_at < p.end_at"
    ppre = "e.event_at >= p.first_at - to_days(p.pre_days) AND e.event_at < p.first_at"
    return f"""
WITH seen AS (
    SELECT x.experiment_id, x.person_key, min(x.variant) AS variant,
           count(DISTINCT x.variant) AS variants, min(x.exposed_at) AS first_at,
           any_value(w.end_at) AS end_at, any_value(w.pre_days) AS pre_days
    FROM exposures x JOIN windows w USING (experiment_id)
    WHERE x.exposed_at >= w.start_at AND x.exposed_at < w.end_at
    GROUP BY x.experiment_id, x.person_key
),
p AS (SELECT * FROM seen WHERE variants = 1),
o AS (
    SELECT p.experiment_id, p.person_key,
           count(*) FILTER (WHERE {post}) AS orders,
           coalesce(sum(o.net_fen) FILTER (WHERE {post}), 0) AS revenue_fen,
           count(*) FILTER (WHERE {post} AND o.refunded) AS refunded_orders,
           count(*) FILTER (WHERE {pre}) AS pre_orders,
           coalesce(sum(o.net_fen) FILTER (WHERE {pre}), 0) AS pre_revenue_fen,
           count(*) FILTER (WHERE {pre} AND o.refunded) AS pre_refunded_orders
    FROM p JOIN orders o USING (person_key)
    GROUP BY p.experiment_id, p.person_key
),
r AS (
    SELECT p.experiment_id, p.person_key,
           count(*) FILTER (WHERE {ppost}) AS recommended_plays,
           count(*) FILTER (WHERE {ppre}) AS pre_recommended_plays
    FROM p JOIN plays e USING (person_key)
    SEMI JOIN recommended m ON m.person_key = e.person_key AND m.content_id = e.content_id
    GROUP BY p.experiment_id, p.person_key
)
SELECT p.experiment_id, p.variant, p.person_key,
       ({assigned}) AS assigned,
       CAST(coalesce(o.orders, 0) > 0 AS INTEGER) AS converted,
       CAST(coalesce(o.pre_orders, 0) > 0 AS INTEGER) AS pre_converted,
       coalesce(o.orders, 0) AS orders, coalesce(o.pre_orders, 0) AS pre_orders,
       coalesce(o.revenue_fen, 0) AS revenue_fen, coalesce(o.pre_revenue_fen, 0) AS pre_revenue_fen,
       coalesce(o.refunded_orders, 0) AS refunded_orders,
       coalesce(o.pre_refunded_orders, 0) AS pre_refunded_orders,
       coalesce(r.recommended_plays, 0) AS recommended_plays,
       coalesce(r.pre_recommended_plays, 0) AS pre_recommended_plays
FROM p
LEFT JOIN o USING (experiment_id, person_key)
LEFT JOIN r USING (experiment_id, person_key)
"""


def per_person_sql(experiments: list[Experiment]) -> str:
    """One row per counted person and experiment: variant, assigned variant, metrics."""
    return _per_person(_assigned(experiments))


def variant_sums(
    con: duckdb.DuckDBPyConnection, experiments: list[Experiment], night: datetime.date
) -> list[dict]:
    """Per (experiment, variant): ``persons``, ``mismatched`` (delivered variant is not the
    assignment) and every sum the statistics need, as exact integers."""
    if not experiments:
        return []
    con.register("windows", windows(experiments, night))
    sql = f"""
SELECT experiment_id, variant, count(*) AS persons,
    count(*) FILTER (WHERE variant <> assigned) AS mismatched,
    {_sums()}
FROM ({per_person_sql(experiments)}) GROUP BY experiment_id, variant
ORDER BY experiment_id, variant"""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [
        {n: (int(v) if isinstance(v, int | float) and n not in ("experiment_id", "variant") else v)
         for n, v in zip(names, row, strict=True)}
        for row in cur.fetchall()
    ]  # fmt: skip


def mixed_persons(
    con: duckdb.DuckDBPyConnection, experiments: list[Experiment], night: datetime.date
) -> dict[str, int]:
    """Per experiment, persons exposed to more than one variant (left out of the readout)."""
    if not experiments:
        return {}
    con.register("windows", windows(experiments, night))
    rows = con.execute(
        """
        SELECT experiment_id, count(*) FROM (
            SELECT x.experiment_id, x.person_key FROM exposures x JOIN windows w USING (experiment_id)
            WHERE x.exposed_at >= w.start_at AND x.exposed_at < w.end_at
            GROUP BY ALL HAVING count(DISTINCT x.variant) > 1)
        GROUP BY experiment_id
        """
    ).fetchall()
    return {e.id: 0 for e in experiments} | dict(rows)
