"""Closed statements for partners: one CSV and one readable HTML page per statement.

Written to ``s3://{bucket}/{outbound_prefix}/statements/period={period}/{contract_id}.{csv,html}``
where ``outbound_prefix`` is the partner's entry in the source registry. Each file is built from
a query filtered on that partner, so it holds only that partner's figures.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from alliance_pipeline.registry import source
from alliance_pipeline.settlement.frames import LINE_COLUMNS, STATEMENT_COLUMNS
from alliance_pipeline.settlement.statements import REASON_CODES

PARTNER_LINE_COLUMNS = [
    "line_no",
    "line_type",
    "reason_code",
    "adjusts_period",
    "order_id",
    "campaign_id",
    "order_date",
    "order_currency",
    "order_credit_amount",
    "fx_rate",
    "currency",
    "net_amount",
    "partner_share",
    "platform_share",
]
HEADER_FIGURES = [
    ("Attributed net revenue", "order_net_amount"),
    ("Rate share", "rate_share_amount"),
    ("Minimum guarantee top-up", "top_up_amount"),
    ("Cap", "cap_amount"),
    ("Adjustments (net revenue)", "adjustment_net_amount"),
    ("Adjustments (partner share)", "adjustment_partner_amount"),
    ("Net revenue", "net_amount"),
    ("Partner share", "partner_share"),
    ("Platform share", "platform_share"),
]


def _show(value) -> str:
    return "" if value is None else str(value)


def statement_csv(header: dict, lines: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["partner_id", "contract_id", "period", "status", "currency"])
    w.writerow([header[c] for c in ("partner_id", "contract_id", "period", "status", "currency")])
    w.writerow([])
    w.writerow([label for label, _ in HEADER_FIGURES])
    w.writerow([_show(header[c]) for _, c in HEADER_FIGURES])
    w.writerow([])
    w.writerow(PARTNER_LINE_COLUMNS)
    for ln in lines:
        w.writerow([_show(ln[c]) for c in PARTNER_LINE_COLUMNS])
    return buf.getvalue()


def statement_html(header: dict, lines: list[dict], partner_name: str) -> str:
    e = lambda v: html.escape(_show(v))  # ruff: ignore[lambda-assignment]
    figures = "".join(
        f"<tr><th>{e(label)}</th><td class=num>{e(header[c])}</td></tr>"
        for label, c in HEADER_FIGURES
    )
    head = "".join(f"<th>{e(c)}</th>" for c in PARTNER_LINE_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(ln[c])}</td>" for c in PARTNER_LINE_COLUMNS) + "</tr>"
        for ln in lines
    )
    title = f"Settlement statement {header['period']} · {partner_name} · {header['contract_id']}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}td.num{{text-align:right}}</style></head>
<body><h1>{e(title)}</h1>
<p>Status: <b>{e(header["status"])}</b> (closed {e(header["closed_at"])}). All amounts in {e(header["currency"])}.</p>
<table>{figures}</table>
<h2>Lines</h2><table><tr>{head}</tr>{body}</table>
<p>Partner share + platform share = net revenue on every line and in total. Adjustment lines correct
earlier closed periods (reason codes: {", ".join(REASON_CODES)}).</p></body></html>
"""


def write_partner_statements(
    wh, period: str, outbound, registry_path: Path | str | None = None
) -> list[str]:
    """Write every closed statement of ``period`` to its partner's outbound prefix, in the client
    and bucket ``outbound(partner)`` gives (tasks.s3.outbound_of); returns the keys."""
    cols = ", ".join(STATEMENT_COLUMNS)
    headers = [
        dict(zip(STATEMENT_COLUMNS, r, strict=True))
        for r in wh.query(
            f"SELECT {cols} FROM mart.settlement_statement WHERE period = ? AND status = 'closed' "
            "ORDER BY partner_id, contract_id",
            [period],
        )
    ]
    keys = []
    line_cols = ", ".join(LINE_COLUMNS)
    for h in headers:
        partner = source(h["partner_id"], registry_path)
        lines = [
            dict(zip(LINE_COLUMNS, r, strict=True))
            for r in wh.query(
                f"SELECT {line_cols} FROM mart.fct_settlement_line "
                "WHERE period = ? AND partner_id = ? AND contract_id = ? ORDER BY line_no",
                [period, h["partner_id"], h["contract_id"]],
            )
        ]
        base = f"{partner.outbound_prefix}/statements/period={period}/{h['contract_id']}"
        s3_client, bucket = outbound(partner)
        for ext, body, ctype in (
            ("csv", statement_csv(h, lines), "text/csv; charset=utf-8"),
            ("html", statement_html(h, lines, partner.name), "text/html; charset=utf-8"),
        ):
            s3_client.put_object(
                Bucket=bucket, Key=f"{base}.{ext}", Body=body.encode("utf-8"), ContentType=ctype
            )
            keys.append(f"{base}.{ext}")
    return keys
