"""Did targeting help: each campaign's response among the persons its audience targeted against
the rest of its eligible persons (:mod:`.campaign_audience`).

For the night ``dt``: the audience sent the night before (the latest ``curated/campaign_audience``
partition before ``dt``), the night's campaign clicks (clean events of ``dt`` with the campaign)
and the orders of ``dt`` credited to the campaign (``mart.fct_order_attribution``). Each
person is counted once per campaign and group. A count under k persons is withheld (NULL), and
so is a rate built on one. Written to ``mart.fct_campaign_response`` (the night's date,
replaced) and copied onto the total rows (``channel = 'all'``) of ``mart.fct_campaign_daily``,
which settlement rebuilds every night (:func:`fill_campaign_daily`).
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import latest_partition_before, read_clean_table
from alliance_pipeline.privacy.min_cell import below_k, min_cell_size
from alliance_pipeline.settlement.metrics import ratio

log = logging.getLogger(__name__)

GROUPS = ("targeted", "rest")
COUNTS = [f"{g}_{c}" for g in GROUPS for c in ("persons", "clicked", "ordered")]
RATES = [f"{g}_{r}_rate" for g in GROUPS for r in ("click", "order")]
# what fct_campaign_daily's total rows carry of it
RESPONSE_COLUMNS = [*COUNTS, *RATES]
ATTRIBUTED_SQL = """
SELECT o.person_key, a.campaign_id
FROM mart.fct_order_attribution a
JOIN mart.fct_order o ON o.order_source = a.order_source AND o.order_id = a.order_id
WHERE a.order_date = ? AND a.weight > 0
"""
RESPONSE_SQL = f"""
SELECT a.campaign_id, any_value(a.partner_id) AS partner_id,
       {
    ", ".join(
        f"count(*) FILTER (WHERE a.targeted = {g == 'targeted'}{cond}) AS {g}_{name}"
        for g in GROUPS
        for name, cond in (
            ("persons", ""),
            ("clicked", " AND c.person_key IS NOT NULL"),
            ("ordered", " AND o.person_key IS NOT NULL"),
        )
    )
}
FROM audience a
LEFT JOIN (SELECT DISTINCT person_key, campaign_id FROM clicks) c
       ON c.person_key = a.person_key AND c.campaign_id = a.campaign_id
LEFT JOIN (SELECT DISTINCT person_key, campaign_id FROM attributed) o
       ON o.person_key = a.person_key AND o.campaign_id = a.campaign_id
GROUP BY a.campaign_id
ORDER BY a.campaign_id
"""


def campaign_response(wh, dt: str, lake_root: Path | str, k: int | None = None) -> pd.DataFrame:
    """The night's rows of ``mart.fct_campaign_response`` (none before the first audience)."""
    k = min_cell_size() if k is None else k
    columns = ["date", "campaign_id", "partner_id", "audience_dt", *COUNTS, *RATES]
    folder = latest_partition_before(lake_root, paths.CAMPAIGN_AUDIENCE, dt)
    if folder is None:
        return pd.DataFrame(columns=columns)
    con = duckdb.connect()
    con.register("audience", pq.read_table(folder))
    events = read_clean_table(
        lake_root,
        "events",
        dt,
        since=dt,
        where=(pc.field("event_type") == "click") & pc.field("campaign_id").is_valid(),
    )
    con.register("clicks", events.select(["person_key", "campaign_id"]))
    con.register("attributed", wh.query_df(ATTRIBUTED_SQL, [datetime.date.fromisoformat(dt)]))
    out = con.execute(RESPONSE_SQL).df()
    for column in COUNTS:
        counts = out[column].astype("int64")
        out[column] = counts.astype(object).where(~below_k(counts, k), None)
    for group in GROUPS:
        for what, verb in (("click", "clicked"), ("order", "ordered")):
            out[f"{group}_{what}_rate"] = [
                ratio(n, d) if n is not None and d is not None else None
                for n, d in zip(out[f"{group}_{verb}"], out[f"{group}_persons"], strict=True)
            ]
    out["date"] = datetime.date.fromisoformat(dt)
    out["audience_dt"] = datetime.date.fromisoformat(folder.name.removeprefix("dt="))
    return out[columns]


def fill_campaign_daily(tx) -> None:
    """Copy every response row onto its campaign-day total row of ``mart.fct_campaign_daily``."""
    sets = ", ".join(f"{c} = r.{c}" for c in RESPONSE_COLUMNS)
    tx.execute(
        f"UPDATE mart.fct_campaign_daily SET {sets} FROM mart.fct_campaign_response r "
        "WHERE mart.fct_campaign_daily.date = r.date "
        "AND mart.fct_campaign_daily.campaign_id = r.campaign_id "
        "AND mart.fct_campaign_daily.is_total"
    )


def publish_campaign_response(wh, dt: str, lake_root: Path | str) -> int:
    rows = campaign_response(wh, dt, lake_root)
    with wh.transaction() as tx:
        tx.replace_partition(
            "mart.fct_campaign_response", {"date": datetime.date.fromisoformat(dt)}, rows
        )
        fill_campaign_daily(tx)
    log.info("campaign response %s: %d campaigns", dt, len(rows))
    return len(rows)
