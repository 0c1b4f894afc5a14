"""Settlement bench: attribution + settlement + metrics (exact, integer fen; nets and credits by
the configured engine, DuckDB SQL, with the Python engine timed beside it as the oracle) beside
the same aggregation written directly in DuckDB SQL over the same clean files, in the same run.

The SQL baseline does the partner choice (referral code, else the partner of the latest eligible
touch), net revenue, fx and per contract-period net totals, plus campaign-day delivery and order
counts; it has no fractional split, rate model, allocation or statement lines. Both must agree on
each contract-period's attributed net revenue (the split never changes a partner's total).

    .venv/bin/python bench/settlement_bench.py --scale 20 --days 59
writes bench/results/settlement.json and bench/results/settlement.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]

SQL = """
WITH
o AS (SELECT * FROM read_parquet('{root}/clean/orders/*/*/*.parquet', union_by_name = true, hive_partitioning = true, hive_types = {{'dt': DATE, 'source': VARCHAR}}) WHERE dt <= DATE '{dt}'),
latest AS (SELECT * FROM o QUALIFY row_number() OVER (PARTITION BY source, order_id ORDER BY updated_at DESC, dt DESC) = 1),
net AS (
  SELECT source, order_id, person_key, content_id, currency, ordered_at, referral_code,
         CAST(timezone('Asia/Shanghai', ordered_at) AS DATE) AS order_date,
         amount - CASE WHEN refund_amount IS NOT NULL THEN least(refund_amount, amount)
                       WHEN status IN ('refunded', 'chargeback') THEN amount ELSE 0 END AS net
  FROM latest),
snap AS (SELECT max(dt) AS d FROM read_parquet('{root}/clean/contracts/*/*/*.parquet', hive_partitioning = true, hive_types = {{'dt': DATE, 'source': VARCHAR}}) WHERE dt <= DATE '{dt}'),
k AS (SELECT * FROM read_parquet('{root}/clean/contracts/*/*/*.parquet', hive_partitioning = true, hive_types = {{'dt': DATE, 'source': VARCHAR}}) WHERE dt = (SELECT d FROM snap)),
camp AS (SELECT * FROM read_parquet('{root}/clean/campaigns/*/*/*.parquet', hive_partitioning = true, hive_types = {{'dt': DATE, 'source': VARCHAR}}) WHERE dt = (SELECT d FROM snap)),
cat AS (SELECT * FROM read_parquet('{root}/clean/catalog/*/*/*.parquet', hive_partitioning = true, hive_types = {{'dt': DATE, 'source': VARCHAR}}) WHERE dt = (SELECT d FROM snap)),
ok AS (
  SELECT n.source, n.order_id, k.partner_id, k.contract_id, k.window_days, k.count_views
  FROM net n JOIN cat ON cat.content_id = n.content_id JOIN k
    ON n.order_date >= k.effective_from AND (k.effective_to IS NULL OR n.order_date <= k.effective_to)
   AND (k.scope = 'all_attributed'
        OR (k.scope = 'own_content' AND cat.owner_source = k.partner_id)
        OR (k.scope = 'co_brand_content' AND list_contains(string_split(coalesce(cat.co_brand_partners, ''), ';'), k.partner_id)))
  QUALIFY row_number() OVER (PARTITION BY n.source, n.order_id, k.partner_id
    ORDER BY CASE k.scope WHEN 'own_content' THEN 0 WHEN 'co_brand_content' THEN 1 ELSE 2 END, k.effective_from DESC, k.contract_id) = 1),
ref AS (
  SELECT n.source, n.order_id, ok.contract_id FROM net n JOIN camp ON camp.referral_code = n.referral_code
  JOIN ok ON ok.source = n.source AND ok.order_id = n.order_id AND ok.partner_id = camp.partner_id),
ev AS (
  SELECT * FROM read_parquet('{root}/clean/events/*/*/*.parquet', union_by_name = true, hive_partitioning = true, hive_types = {{'dt': DATE, 'source': VARCHAR}})
  WHERE dt <= DATE '{dt}' AND campaign_id IS NOT NULL AND event_type IN ('click', 'view')
  QUALIFY row_number() OVER (PARTITION BY source, event_id ORDER BY dt DESC) = 1),
win AS (
  SELECT n.source, n.order_id, ok.contract_id
  FROM net n JOIN ev ON ev.person_key = n.person_key AND ev.event_at <= n.ordered_at
  JOIN camp ON camp.campaign_id = ev.campaign_id
  JOIN ok ON ok.source = n.source AND ok.order_id = n.order_id AND ok.partner_id = camp.partner_id
  WHERE n.ordered_at - ev.event_at <= to_days(ok.window_days) AND (ev.event_type = 'click' OR ok.count_views)
    AND NOT EXISTS (SELECT 1 FROM camp c2 WHERE c2.referral_code = n.referral_code)
  QUALIFY row_number() OVER (PARTITION BY n.source, n.order_id ORDER BY ev.event_at DESC, ev.campaign_id DESC) = 1),
attr AS (SELECT * FROM ref UNION ALL SELECT * FROM win),
fx AS (SELECT DISTINCT ON (currency, date) currency, date, cny_per_unit FROM read_parquet('{root}/clean/fx_rates/*/*/*.parquet', hive_partitioning = true, hive_types = {{'dt': DATE, 'source': VARCHAR}}) WHERE dt <= DATE '{dt}' ORDER BY currency, date, dt DESC)
SELECT a.contract_id, strftime(n.order_date, '%Y-%m') AS period,
       sum(round_even(n.net * CASE WHEN n.currency = 'CNY' THEN 1 ELSE fx.cny_per_unit END, 2)) AS net_cny, count(*) AS orders
FROM attr a JOIN net n USING (source, order_id)
LEFT JOIN fx ON fx.currency = n.currency AND fx.date = n.order_date
GROUP BY ALL ORDER BY ALL
"""

DAILY_SQL = """
SELECT campaign_id, date, sum(impressions) AS impressions, sum(clicks) AS clicks, sum(spend) AS spend
FROM read_parquet('{root}/clean/campaign_delivery/*/*/*.parquet', hive_partitioning = true, hive_types = {{'dt': DATE, 'source': VARCHAR}})
WHERE dt <= DATE '{dt}' GROUP BY ALL ORDER BY ALL
"""


def run(scale: int, days: int) -> dict:
    sys.path.insert(0, str(ROOT))  # the synthetic clean-zone writer of the tests
    from alliance_pipeline.settlement.engine import compute
    from alliance_pipeline.settlement.inputs import load_inputs
    from alliance_pipeline.settlement.metrics import campaign_daily
    from alliance_pipeline.settlement.money import round_half_even
    from tests.unit._settlement_frames import generate_lake

    with tempfile.TemporaryDirectory() as tmp:
        lake = Path(tmp)
        dts = generate_lake(lake, "2026-02-01", days, scale)
        dt = dts[-1]

        t0 = time.perf_counter()
        inputs = load_inputs(lake, dt)
        t1 = time.perf_counter()
        s = compute(inputs, dt, set(), [], engine="duckdb")
        t2 = time.perf_counter()
        partners = dict(
            zip(inputs.campaigns["campaign_id"], inputs.campaigns["partner_id"], strict=True)
        )
        daily, _, _ = campaign_daily(s, inputs.campaign_delivery, s.lines, partners, 5)
        t3 = time.perf_counter()
        oracle = compute(inputs, dt, set(), [], engine="python")
        t_oracle = time.perf_counter() - t3
        same = sorted(map(repr, s.headers + s.lines)) == sorted(
            map(repr, oracle.headers + oracle.lines)
        )

        con = duckdb.connect()
        t4 = time.perf_counter()
        sql_rows = con.execute(SQL.format(root=lake, dt=dt)).fetchall()
        con.execute(DAILY_SQL.format(root=lake, dt=dt)).fetchall()
        t5 = time.perf_counter()

        py_totals: dict[tuple[str, str], int] = {}
        for o in {
            c.order.key: c for c in s.credits if c.contract
        }.values():  # per order, as SQL does
            rate = s.fx.rate(o.order.currency, o.contract.currency, o.order.order_date)
            key = (o.contract.contract_id, o.order.period)
            py_totals[key] = py_totals.get(key, 0) + round_half_even(o.order.net_minor * rate)
        line_totals = {(h.contract_id, h.period): h.order_net_minor for h in s.headers}
        diffs = {
            f"{c}/{p}": py_totals.get((c, p), 0) - round(net * 100) for c, p, net, _ in sql_rows
        }
        return {
            "scale_orders_per_day": scale,
            "days": days,
            "orders": len(s.orders),
            "credits": len(s.credits),
            "statement_lines": len(s.lines),
            "campaign_daily_rows": len(daily),
            "python_read_s": round(t1 - t0, 3),
            "python_attribution_settlement_s": round(t2 - t1, 3),
            "python_metrics_s": round(t3 - t2, 3),
            "python_total_s": round(t3 - t0, 3),
            "engine": "duckdb",
            "python_engine_attribution_settlement_s": round(t_oracle, 3),
            "engines_identical_statements": same,
            "duckdb_sql_total_s": round(t5 - t4, 3),
            "load_average_1min_at_end": round(os.getloadavg()[0], 1),
            "ratio_to_baseline": round((t3 - t0) / (t5 - t4), 2),
            "contract_period_net_diff_fen": diffs,
            "line_rounding_effect_fen": {
                f"{c}/{p}": line_totals.get((c, p), 0) - v for (c, p), v in py_totals.items()
            },
        }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=20, help="orders per day")
    ap.add_argument("--days", type=int, default=59)
    args = ap.parse_args(argv)
    result = run(args.scale, args.days)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "settlement.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    md = [
        "# Settlement bench",
        "",
        f"{result['orders']} orders over {result['days']} days ({result['scale_orders_per_day']}/day), "
        f"{result['credits']} credits, {result['statement_lines']} statement lines.",
        "",
        "| step | seconds |",
        "|---|---|",
        f"| Python: read clean zone | {result['python_read_s']} |",
        f"| nets + attribution in DuckDB SQL (settlement.engine duckdb), statements (exact) | {result['python_attribution_settlement_s']} |",
        f"| the same by the Python engine (the oracle; not in the total) | {result['python_engine_attribution_settlement_s']} |",
        f"| Python: campaign metrics | {result['python_metrics_s']} |",
        f"| Python total | {result['python_total_s']} |",
        f"| DuckDB SQL baseline (partner choice, net, fx, totals; no split/rates/lines) | {result['duckdb_sql_total_s']} |",
        "",
        f"Total over baseline: **{result['ratio_to_baseline']}x**. Both engines' statements identical: "
        f"{result['engines_identical_statements']}. 1-minute load average at the end: "
        f"{result['load_average_1min_at_end']} on {os.cpu_count()} cores (above the core count, "
        "times include waiting for a core).",
        "",
        "Contract-period attributed net, Python (rounded per order, as the SQL does) minus SQL, in fen: "
        + json.dumps(result["contract_period_net_diff_fen"]),
        "",
        "Effect of rounding per statement line (one order split over campaigns) instead of per order, fen: "
        + json.dumps(result["line_rounding_effect_fen"]),
        "",
    ]
    (out / "settlement.md").write_text("\n".join(md), encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
