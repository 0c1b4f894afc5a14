"""Per-partner, per-segment audience files of recommended content (de-identified, aggregated).

For every partner with a contract in force on the run date (clean contracts), one CSV per
segment at ``{outbound_prefix}/audience/run_date={dt}/segment={segment_id}.csv`` with rows
(segment_id, content_id, audience_persons, campaign_ids):

- only persons with marketing consent;
- only content of that partner (owner or co-brand partner) and only the partner's campaigns
  running on the run date;
- counts, not persons: a (segment, content) cell with fewer than k persons (privacy.min_cell)
  is suppressed, and ``_summary.json`` gives the suppressed cells so totals reconcile.

A rerun deletes the partner's files of that run date before writing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import read_clean, read_partition
from alliance_pipeline.privacy.min_cell import below_k, cell_sizes, min_cell_size
from alliance_pipeline.registry import load_sources


def partners_with_contract(contracts: pd.DataFrame, dt: str) -> list[str]:
    day = pd.Timestamp(dt)
    start = pd.to_datetime(contracts["effective_from"])
    end = pd.to_datetime(contracts["effective_to"])  # all open-ended: a NaT column
    in_force = (start <= day) & (end.isna() | (end >= day))
    return sorted(set(contracts.loc[in_force, "partner_id"]))


def partner_content(catalog: pd.DataFrame, partner: str) -> set[str]:
    def brands(row) -> set[str]:
        co = row["co_brand_partners"] if isinstance(row["co_brand_partners"], str) else ""
        return {row["owner_source"], *(p.strip() for p in co.split(";") if p.strip())}

    return {row["content_id"] for _, row in catalog.iterrows() if partner in brands(row)}


def running_campaigns(campaigns: pd.DataFrame, partner: str, dt: str) -> str:
    day = pd.Timestamp(dt)
    end = pd.to_datetime(campaigns["end_date"])
    mine = campaigns[
        (campaigns["partner_id"] == partner)
        & (pd.to_datetime(campaigns["start_date"]) <= day)
        & (end.isna() | (end >= day))
    ]
    return ";".join(sorted(mine["campaign_id"]))


def audience(
    recs: pd.DataFrame,
    persons: pd.DataFrame,
    segments: pd.DataFrame,
    content: set[str],
    campaign_ids: str,
    k: int,
) -> tuple[pd.DataFrame, dict]:
    """(cells, summary) for one partner: recs (person_key, content_id), persons (person_key,
    marketing_consent), segments (person_key, segment_id)."""
    consenting = persons.loc[
        persons["marketing_consent"].fillna(False).astype(bool), ["person_key"]
    ]
    rows = (
        recs.loc[recs["content_id"].isin(content), ["person_key", "content_id"]]
        .merge(consenting, on="person_key")
        .merge(segments[["person_key", "segment_id"]], on="person_key")
    )
    cells = cell_sizes(rows, ["segment_id", "content_id"], "person_key").rename(
        columns={"persons": "audience_persons"}
    )
    small = below_k(cells["audience_persons"], k)
    summary = {"k": k, "cells": int((~small).sum()), "suppressed_cells": int(small.sum())}
    cells = cells[~small].assign(campaign_ids=campaign_ids)
    return cells.sort_values(
        ["segment_id", "audience_persons", "content_id"], ascending=[True, False, True]
    ), summary


def _read(root: Path, dataset: str, **partition) -> pd.DataFrame:
    try:
        return read_partition(root, dataset, **partition)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"audience: {exc}") from None


def _read_clean(root: Path, dataset: str, dt: str) -> pd.DataFrame:
    folder = paths.partition(paths.clean(dataset), root, dt=dt)
    if not folder.is_dir():
        raise FileNotFoundError(f"audience: lake partition {folder} missing")
    return read_clean(root, dataset, dt, since=dt)


def write_audiences(
    outbound, dt: str, lake_root: Path | str, recs: pd.DataFrame, k: int | None = None
) -> list[str]:
    """Write every partner's audience files for ``dt`` in the client and bucket
    ``outbound(partner)`` gives (tasks.s3.outbound_of); returns the S3 keys written.

    ``recs``: the published recommendations (person_key, content_id), e.g.
    ``wh.query_df("SELECT person_key, content_id FROM mart.recommendation_current")``.
    Reads clean/contracts, clean/campaigns, clean/catalog (dt=dt), curated/persons/dt=dt and
    curated/person_segment/run_date=dt under ``lake_root``.
    """
    root = Path(lake_root)
    k = min_cell_size() if k is None else k
    contracts = _read_clean(root, "contracts", dt)
    campaigns = _read_clean(root, "campaigns", dt)
    catalog = _read_clean(root, "catalog", dt)
    persons = _read(root, paths.PERSONS, dt=dt)
    segments = _read(root, paths.PERSON_SEGMENT, run_date=dt)
    registry = {s.id: s for s in load_sources() if s.kind == "partner"}
    written = []
    for partner in partners_with_contract(contracts, dt):
        if partner not in registry:
            raise ValueError(
                f"audience {dt}: contract partner {partner!r} is not a registry partner"
            )
        s3, bucket = outbound(registry[partner])
        prefix = f"{registry[partner].outbound_prefix}/audience/run_date={dt}/"
        old = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        for obj in old:
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        cells, summary = audience(
            recs,
            persons,
            segments,
            partner_content(catalog, partner),
            running_campaigns(campaigns, partner, dt),
            k,
        )
        for segment_id, part in cells.groupby("segment_id"):
            key = f"{prefix}segment={segment_id}.csv"
            s3.put_object(Bucket=bucket, Key=key, Body=part.to_csv(index=False).encode("utf-8"))
            written.append(key)
        summary |= {
            "partner": partner,
            "run_date": dt,
            "segments": int(cells["segment_id"].nunique()),
        }
        key = f"{prefix}_summary.json"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(summary, sort_keys=True).encode())
        written.append(key)
    return written
