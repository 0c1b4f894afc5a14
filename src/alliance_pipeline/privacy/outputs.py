"""Every output is internal or shared; the check every shared output keeps (DESIGN.md,
De-identification).

Internal: marts that analysts and finance read under the read-only BI role. Person- and
order-level ones (:data:`PSEUDONYMOUS_MARTS`) are keyed by ``person_key`` or an order id; their
table comments say so (they start with :data:`PSEUDONYMOUS_NOTE`).

Shared: what leaves the platform, and the marts marked shareable (:data:`SHARED_MARTS`):
    partner_overlap   mart: persons known to both sources of a pair
    experiment_readout  mart: A/B readouts per experiment, variant and metric
    audience          ``{outbound_prefix}/audience/run_date=.../segment=*.csv`` + ``_summary.json``
    campaign_audience ``{outbound_prefix}/campaign_audience/dt=.../campaign_id=.../audience.csv``
                      + ``_manifest.json``, and ``…/dt=.../_summary.json``: the partner's own ids
                      (its customers, consenting) with rank, segment label and rate band; the
                      summary's persons per segment keep k
    fct_campaign_response  mart: targeted audience against the rest, per campaign and day
    statements        ``{outbound_prefix}/statements/period=.../*.csv|html``: order lines are the
                      partner's own attributed conversions (the affiliate norm) and the aggregate
                      section sums those same lines; neither carries a count of persons
The rules (:func:`walk_shared_outputs` checks them all, naming output and rule, never a value):
    - every person count is 0 or at least k (``privacy.min_cell_size``, :mod:`.min_cell`), or
      empty where it was suppressed;
    - a suppression summary (the folded cells' persons) is empty or at least k, and never
      given for a single folded cell (that would publish the cell);
    - no shared output gives a total beside suppressed cells other than that summary (the
      audience summary counts cells, never persons), so no suppressed value can be recomputed;
    - no ``person_key`` (nor anything shaped like one) and no column outside the output's
      declared columns;
    - every mart is classified, and every outbound file is of a declared kind.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable

from alliance_pipeline.marketing.campaign_audience import FILE_COLUMNS
from alliance_pipeline.privacy.min_cell import below_k, min_cell_size
from alliance_pipeline.registry import load_sources
from alliance_pipeline.settlement.outbound import HEADER_FIGURES, PARTNER_LINE_COLUMNS

PSEUDONYMOUS_NOTE = "Internal, pseudonymous"
# table -> its distinct-person count column
SHARED_MARTS = {"partner_overlap": "persons", "experiment_readout": "persons"}
# shared marts whose person counts are each withheld (NULL) below k, with no reconciling total
SHARED_COUNT_MARTS = {
    "fct_campaign_response": (
        "targeted_persons", "targeted_clicked", "targeted_ordered",
        "rest_persons", "rest_clicked", "rest_ordered",
    ),
}  # fmt: skip
PSEUDONYMOUS_MARTS = (
    "fct_order",
    "fct_order_attribution",
    "fct_settlement_line",
    "person_segment",
    "recommendation",
    "recommendation_current",
)
INTERNAL_MARTS = (
    *PSEUDONYMOUS_MARTS,
    "pipeline_run",
    "dim_source",
    "dq_result",
    "quarantine_index",
    "dim_segment",
    "model_evaluation",
    "propensity_evaluation",
    "propensity_calibration",
    "settlement_statement",
    "fct_campaign_daily",
    "campaign_growth",
    "dim_campaign",
    "dim_content",
    "dim_date",
)
AUDIENCE_COLUMNS = ["segment_id", "content_id", "audience_persons", "campaign_ids"]
AUDIENCE_SUMMARY_KEYS = {"k", "cells", "suppressed_cells", "partner", "run_date", "segments"}
_PERSON_KEY_SHAPE = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{64}(?![0-9a-fA-F])")


def count_violations(
    output: str, counts: Iterable, k: int, what: str = "person count"
) -> list[str]:
    """A count of 1..k-1 persons published in ``output``."""
    small = sum(bool(below_k(int(c), k)) for c in counts if c is not None)
    return [f"{output}: {small} {what}(s) below k={k}"] if small else []


def summary_violations(output: str, persons, folded_cells: int, k: int) -> list[str]:
    """A suppression summary that reveals what it folds."""
    if persons is None or not folded_cells:
        return []
    if below_k(int(persons), k):
        return [f"{output}: suppression summary counts fewer than k={k} persons"]
    if folded_cells == 1:
        return [f"{output}: suppression summary publishes a single folded cell"]
    return []


def person_key_violations(output: str, text: str) -> list[str]:
    return [f"{output}: holds a person_key"] if _PERSON_KEY_SHAPE.search(text) else []


def mart_comments(wh) -> dict[str, str | None]:
    """Every table and view of the ``mart`` schema with its comment."""
    if wh.dialect == "duckdb":
        sql = (
            "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'mart' "
            "UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'mart'"
        )
    else:
        sql = (
            "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'mart' AND c.relkind IN ('r', 'v', 'p')"
        )
    return dict(wh.query(sql))


def mart_violations(wh, k: int) -> list[str]:
    out = []
    for table, comment in sorted(mart_comments(wh).items()):
        name = f"mart.{table}"
        if table not in SHARED_MARTS | SHARED_COUNT_MARTS and table not in INTERNAL_MARTS:
            out.append(f"{name}: neither shared nor internal (privacy/outputs.py)")
        if table in PSEUDONYMOUS_MARTS and not (comment or "").startswith(PSEUDONYMOUS_NOTE):
            out.append(f"{name}: person- or order-level mart whose comment does not say so")
    for table, columns in SHARED_COUNT_MARTS.items():
        name = f"mart.{table}"
        rows = wh.query(f"SELECT {', '.join(columns)} FROM {name}")
        out += count_violations(name, (c for r in rows for c in r), k)
    for table, column in SHARED_MARTS.items():
        name = f"mart.{table}"
        rows = wh.query(f'SELECT "{column}", suppressed_cells FROM {name}')
        out += count_violations(name, (r[0] for r in rows if not r[1]), k)
        for persons, folded in rows:
            out += summary_violations(name, persons, folded, k)
        cells = wh.query(f"SELECT * FROM {name}")
        out += person_key_violations(name, "\n".join(map(str, cells)))
    return sorted(set(out))


def audience_file_violations(key: str, body: str, k: int) -> list[str]:
    if key.endswith("/_summary.json"):
        extra = set(json.loads(body)) - AUDIENCE_SUMMARY_KEYS
        return [f"{key}: undeclared summary field(s) {sorted(extra)}"] if extra else []
    rows = list(csv.reader(io.StringIO(body)))
    if not rows or rows[0] != AUDIENCE_COLUMNS:
        return [f"{key}: columns are not {AUDIENCE_COLUMNS}"]
    persons = AUDIENCE_COLUMNS.index("audience_persons")
    return count_violations(key, (r[persons] for r in rows[1:]), k)


def without_digests(key: str, body: str) -> str:
    """A manifest's text without its files' sha256 digests (64 hex digits, like a person_key)."""
    if not key.endswith("/_manifest.json"):
        return body
    manifest = json.loads(body)
    for entry in manifest.get("files", []):
        entry.pop("sha256", None)
    return json.dumps(manifest)


def campaign_audience_file_violations(key: str, body: str, k: int) -> list[str]:
    if key.endswith("/_manifest.json"):
        fields = set(json.loads(body)) - {"source", "dataset", "dt", "schema_version", "files"}
        return [f"{key}: undeclared manifest field(s) {sorted(fields)}"] if fields else []
    if key.endswith("/_summary.json"):
        persons = [s["persons"] for c in json.loads(body)["campaigns"] for s in c["segments"]]
        return count_violations(key, persons, k)
    rows = list(csv.reader(io.StringIO(body)))
    if not rows or rows[0] != FILE_COLUMNS:
        return [f"{key}: columns are not {FILE_COLUMNS}"]
    return []


def statement_file_violations(key: str, body: str) -> list[str]:
    """A statement CSV holds its header, its declared figures and its order lines, nothing else
    (a person count added to the aggregate section would need the k rule)."""
    if not key.endswith(".csv"):
        return []
    rows = list(csv.reader(io.StringIO(body)))
    figures = [label for label, _ in HEADER_FIGURES]
    if len(rows) < 7 or rows[3] != figures or rows[6] != PARTNER_LINE_COLUMNS:
        return [f"{key}: sections are not the declared statement figures and line columns"]
    return []


def outbound_violations(s3, bucket: str, k: int) -> list[str]:
    out = []
    for src in load_sources():
        if not src.outbound_prefix:
            continue
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{src.outbound_prefix}/"
        )
        for obj in (o for page in pages for o in page.get("Contents", [])):
            key = obj["Key"]
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
            out += person_key_violations(key, without_digests(key, body))
            kind = key[len(src.outbound_prefix) + 1 :].split("/", 1)[0]
            if kind == "audience":
                out += audience_file_violations(key, body, k)
            elif kind == "campaign_audience":
                out += campaign_audience_file_violations(key, body, k)
            elif kind == "statements":
                out += statement_file_violations(key, body)
            else:
                out.append(f"{key}: an outbound file of no declared kind (privacy/outputs.py)")
    return out


def walk_shared_outputs(wh, s3, bucket: str, k: int | None = None) -> list[str]:
    """Every rule above over every mart and every partner's outbound files; [] when all hold."""
    k = min_cell_size() if k is None else k
    return mart_violations(wh, k) + outbound_violations(s3, bucket, k)
