"""The readout's relations (see :mod:`.readout`) for one night, in an in-process DuckDB.

Read only over the running experiments' span (their earliest start less its pre-period, up to
the night), never the whole history:
    exposures    clean/experiment_exposures
    orders       clean/orders for each order's time and buyer, joined to its settled net in CNY
                 (``mart.fct_order.net_amount_cny``, the settlement's exact figure) in fen
    plays        clean/events of type play
    recommended  the lists published in that span (``mart.recommendation``)
"""

from __future__ import annotations

import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.experiments.registry import Experiment
from alliance_pipeline.lake.arrow_io import read_clean_table

SETTLED = pa.schema(
    [
        ("order_source", pa.string()),
        ("order_id", pa.string()),
        ("person_key", pa.string()),
        ("net_amount_cny", pa.decimal128(18, 2)),
        ("status", pa.string()),
    ]
)
RECOMMENDED = pa.schema([("person_key", pa.string()), ("content_id", pa.string())])


def _arrow(frame, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def span_start(experiments: list[Experiment]) -> datetime.date:
    return min(e.start_date - datetime.timedelta(days=e.pre_period_days) for e in experiments)


def connect(
    lake_root: Path | str, wh, experiments: list[Experiment], night: datetime.date
) -> duckdb.DuckDBPyConnection:
    since, dt = span_start(experiments), night.isoformat()
    first_start = min(e.start_date for e in experiments)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    exposures = read_clean_table(
        lake_root, "experiment_exposures", dt, since=first_start.isoformat()
    )
    con.register(
        "exposures", exposures.select(["person_key", "experiment_id", "variant", "exposed_at"])
    )
    orders = read_clean_table(lake_root, "orders", dt, since=since.isoformat())
    con.register("clean_orders", orders.select(["source", "order_id", "person_key", "ordered_at"]))
    settled = wh.query_df(
        "SELECT order_source, order_id, person_key, net_amount_cny, status FROM mart.fct_order "
        "WHERE order_date >= ?",
        [since],
    )
    con.register("settled", _arrow(settled, SETTLED))
    con.execute(
        """
        CREATE TEMP VIEW orders AS
        SELECT s.person_key, t.ordered_at,
               CAST(s.net_amount_cny * 100 AS BIGINT) AS net_fen,
               s.status <> 'paid' AS refunded
        FROM settled s
        JOIN (SELECT source, order_id, min(ordered_at) AS ordered_at FROM clean_orders
              GROUP BY ALL) t
          ON t.source = s.order_source AND t.order_id = s.order_id
        """
    )
    events = read_clean_table(
        lake_root, "events", dt, since=since.isoformat(), where=pc.field("event_type") == "play"
    )
    con.register("plays", events.select(["person_key", "content_id", "event_at"]))
    recommended = wh.query_df(
        "SELECT DISTINCT person_key, content_id FROM mart.recommendation "
        "WHERE run_date >= ? AND run_date <= ?",
        [first_start, night],
    )
    con.register("recommended", _arrow(recommended, RECOMMENDED))
    return con
