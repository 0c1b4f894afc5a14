"""Known defects for validation tests: bad batches and bad rows, each recorded in the truth.

All defects land on the last night of the window so that a one-night run carries every kind.
Batch defects take partner sources first; row defects take the first source (platform first)
whose delivery of that dataset is not already a bad batch.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pyarrow as pa

# (kind, dataset) of whole-delivery defects, applied when the delivery is encoded
BATCH_DEFECTS = (
    ("missing_required_column", "orders"),
    ("checksum_mismatch", "events"),
    ("truncated_file", "users"),
    ("row_count_mismatch", "campaign_delivery"),
)
# (kind, dataset, rows affected) of row defects, applied to the typed table
ROW_DEFECTS = (
    ("excel_mangled_mobile", "users", 2),
    ("unknown_enum", "events", 2),
    ("future_timestamp", "events", 2),
    ("duplicate_key", "events", 1),
    ("negative_amount", "orders", 2),
    ("orphan_order", "orders", 2),
    ("refund_amount_gt_amount", "orders", 1),
    ("clicks_gt_impressions", "campaign_delivery", 2),
)
MISSING_COLUMN = {"orders": "amount", "events": "event_at", "users": "updated_at"}
FUTURE = datetime.timedelta(days=3 * 365 + 1)


@dataclass(frozen=True)
class Plan:
    batch: dict[tuple[str, str], str]  # (source, dataset) -> kind
    rows: dict[tuple[str, str], list[tuple[str, int]]]  # (source, dataset) -> [(kind, n)]


def plan(sources) -> Plan:
    ordered = sorted(sources, key=lambda s: s.kind != "partner")
    batch: dict[tuple[str, str], str] = {}
    for i, (kind, name) in enumerate(BATCH_DEFECTS):
        cands = [s for s in ordered if name in s.datasets and (s.id, name) not in batch]
        if cands:
            batch[cands[(i + 1) % len(cands)].id, name] = kind
    rows: dict[tuple[str, str], list[tuple[str, int]]] = {}
    platform_first = sorted(sources, key=lambda s: s.kind != "platform")
    for kind, name, n in ROW_DEFECTS:
        cands = [s for s in platform_first if name in s.datasets and (s.id, name) not in batch]
        if cands:
            rows.setdefault((cands[0].id, name), []).append((kind, n))
    return Plan(batch, rows)


def apply_row_defects(
    table: pa.Table,
    name: str,
    defects: list[tuple[str, int]],
    key_cols: tuple[str, ...],
    id_prefix: str,
) -> tuple[pa.Table, list[dict]]:
    """Damage a few rows; returns the table and, per defect, the affected keys."""
    records = []
    start = 0
    for kind, n in defects:
        free = [start + 2 * j for j in range(n)]
        if free[-1] >= table.num_rows:
            continue
        start = free[-1] + 1
        if kind == "duplicate_key":
            table = pa.concat_tables([table, table.take(free)])
        else:
            for i in free:
                row = table.slice(i, 1).to_pylist()[0]
                _damage(kind, row, id_prefix)
                fixed = pa.Table.from_pylist([row], schema=table.schema)
                table = pa.concat_tables([table.slice(0, i), fixed, table.slice(i + 1)])
        keys = table.select(list(key_cols)).take(free).to_pylist()
        records.append({"kind": kind, "level": "row", "keys": [_key(k, key_cols) for k in keys]})
    return table, records


def _key(row: dict, cols: tuple[str, ...]) -> str:
    return "|".join(str(row[c]) for c in cols)


def _damage(kind: str, row: dict, id_prefix: str) -> None:
    if kind == "excel_mangled_mobile":
        digits = "".join(str(int(ch)) for ch in row["mobile"] if ch.isdigit())[-11:]
        row["mobile"] = f"{int(digits):.5E}"
    elif kind == "unknown_enum":
        row["event_type"] = "purchase"
    elif kind == "future_timestamp":
        row["event_at"] = row["event_at"] + FUTURE
    elif kind == "negative_amount":
        row["amount"] = -row["amount"]
    elif kind == "orphan_order":
        row["source_user_id"] = f"{id_prefix}{'0' * 9}"
    elif kind == "refund_amount_gt_amount":
        row["status"] = "partially_refunded"
        row["refund_amount"] = row["amount"] + 10
        row["refunded_at"] = row["updated_at"]
    elif kind == "clicks_gt_impressions":
        row["clicks"] = row["impressions"] + 5
    else:
        raise ValueError(f"unknown row defect {kind}")
