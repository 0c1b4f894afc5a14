"""Campaign audiences a partner can send to: its own customers, ranked by predicted response.

For every campaign running on the night (clean campaigns, ``start_date <= dt <= end_date``) the
eligible persons are those the propensity job scored for it (``curated/propensity_scores``:
persons known to the campaign's partner) who consent to marketing and have a segment. The
campaign targets the segments whose mean predicted response is at least
``audiences.min_segment_lift`` times the campaign's mean over its eligible persons; the response
is a click for the objectives in ``audiences.click_objectives``, an attributed order otherwise.
Scores by the baseline (each campaign's own rate: no model has passed the propensity gate yet)
tell no person from another, so such a campaign targets nobody: its file has no rows and its
summary says ``scored_by: baseline``.

Written per night (``dt``), each rerun replacing what it wrote:
- ``curated/campaign_audience/dt=…``: every eligible person of every campaign with its rank
  (targeted persons only) and whether it was targeted; pseudonymous, what the response
  readout (:mod:`.response`) compares against.
- per campaign, ``{outbound_prefix}/campaign_audience/dt=…/campaign_id=…/audience.csv`` with
  ``source_user_id`` (the partner's own ids only, from the identity map), ``campaign_id``,
  ``rank``, ``segment`` (the segment's label) and ``predicted_rate`` (a band), then its
  ``_manifest.json`` in the format partners deliver with; and ``…/dt=…/_summary.json`` with the
  targeted persons per segment, segments under k withheld.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import read_clean_table, read_partition, replacing
from alliance_pipeline.manifest import SCHEMA_VERSION, Manifest, ManifestFile
from alliance_pipeline.privacy.min_cell import below_k, min_cell_size
from alliance_pipeline.registry import Source, load_sources

DATASET = "campaign_audience"
FILE_COLUMNS = ["source_user_id", "campaign_id", "rank", "segment", "predicted_rate"]


@dataclass(frozen=True)
class CampaignFile:
    source: str
    campaign_id: str
    rows: int


def band_labels(edges: list[float]) -> list[str]:
    """``[0.01, 0.05]`` -> ``["<1%", "1-5%", ">=5%"]``."""

    def pct(x: float) -> str:
        return f"{x * 100:g}%"

    inner = [f"{pct(lo)}-{pct(hi)}" for lo, hi in itertools.pairwise(edges)]
    return [f"<{pct(edges[0])}", *inner, f">={pct(edges[-1])}"]


def _band_sql(edges: list[float]) -> str:
    labels = band_labels(edges)
    cases = " ".join(
        f"WHEN score < {e!r} THEN '{lab}'" for e, lab in zip(edges, labels[:-1], strict=True)
    )
    return f"CASE {cases} ELSE '{labels[-1]}' END"


def eligible(con: duckdb.DuckDBPyConnection, dt: str) -> pa.Table:
    """Every eligible (campaign, person) of the night with ``targeted`` and ``rank``.

    Relations: ``scores``, ``campaigns``, ``persons``, ``person_segment``, ``segment_profile``.
    """
    cfg = pipeline_config().audiences
    clicks = ", ".join(f"'{o}'" for o in cfg.click_objectives) or "NULL"
    return con.execute(
        f"""
        WITH running AS (
            SELECT campaign_id, partner_id,
                   coalesce(objective IN ({clicks}), false) AS by_click
            FROM campaigns WHERE start_date <= CAST(? AS DATE) AND end_date >= CAST(? AS DATE)
        ), scored AS (
            SELECT s.campaign_id, r.partner_id, s.person_key, g.segment_id, f.label,
                   s.model AS scored_by,
                   CASE WHEN r.by_click THEN s.p_click ELSE s.p_order END AS score,
                   CASE WHEN r.by_click THEN 'click' ELSE 'order' END AS response
            FROM scores s
            JOIN running r USING (campaign_id)
            JOIN persons p ON p.person_key = s.person_key AND p.marketing_consent
            JOIN person_segment g ON g.person_key = s.person_key
            JOIN segment_profile f ON f.segment_id = g.segment_id
        ), lift AS (
            SELECT campaign_id, segment_id,
                   bool_and(scored_by <> 'baseline')
                   AND avg(score) >= ? * any_value(campaign_mean) AS targeted
            FROM (SELECT *, avg(score) OVER (PARTITION BY campaign_id) AS campaign_mean
                  FROM scored)
            GROUP BY campaign_id, segment_id
        )
        SELECT s.campaign_id, s.partner_id, s.person_key, s.segment_id, s.label AS segment,
               s.response, s.scored_by, s.score, {_band_sql(cfg.rate_bands)} AS predicted_rate,
               l.targeted,
               CASE WHEN l.targeted THEN row_number() OVER (
                   PARTITION BY s.campaign_id, l.targeted ORDER BY s.score DESC, s.person_key
               ) END AS rank
        FROM scored s JOIN lift l USING (campaign_id, segment_id)
        ORDER BY s.campaign_id, rank, s.person_key
        """,
        [dt, dt, cfg.min_segment_lift],
    ).to_arrow_table()


def _connect(lake_root: Path, dt: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register(
        "scores",
        read_partition(
            lake_root, paths.PROPENSITY_SCORES,
            ["person_key", "campaign_id", "p_click", "p_order", "model"], dt=dt,
        ),
    )  # fmt: skip
    con.register("campaigns", read_clean_table(lake_root, "campaigns", dt, since=dt))
    con.register(
        "persons",
        read_partition(lake_root, paths.PERSONS, ["person_key", "marketing_consent"], dt=dt),
    )
    con.register(
        "person_segment",
        read_partition(lake_root, paths.PERSON_SEGMENT, ["person_key", "segment_id"], run_date=dt),
    )
    con.register(
        "segment_profile",
        read_partition(lake_root, paths.SEGMENT_PROFILE, ["segment_id", "label"], run_date=dt),
    )
    con.register(
        "identity",
        read_partition(
            lake_root, paths.PERSON_MAP, ["source", "source_user_id", "person_key"], dt=dt
        ),
    )
    return con


def partner_file(con: duckdb.DuckDBPyConnection, campaign_id: str, source: str) -> pa.Table:
    """The campaign's file: its targeted persons by the partner's own ids, in rank order."""
    return (
        con.execute(
            """
        SELECT i.source_user_id, a.campaign_id, a.rank, a.segment, a.predicted_rate
        FROM audience a JOIN identity i ON i.person_key = a.person_key AND i.source = ?
        WHERE a.campaign_id = ? AND a.targeted
        ORDER BY a.rank, i.source_user_id
        """,
            [source, campaign_id],
        )
        .to_arrow_table()
        .select(FILE_COLUMNS)
    )


def summary(audience: pa.Table, campaign_id: str, k: int) -> dict:
    """Targeted persons per segment label; segments under k persons are withheld."""
    con = duckdb.connect()
    con.register("audience", audience)
    (scored_by,) = con.execute(
        "SELECT string_agg(DISTINCT scored_by, ',' ORDER BY scored_by) FROM audience "
        "WHERE campaign_id = ?",
        [campaign_id],
    ).fetchone()
    rows = con.execute(
        "SELECT segment, count(*) AS persons, any_value(response) FROM audience "
        "WHERE campaign_id = ? AND targeted GROUP BY segment ORDER BY segment",
        [campaign_id],
    ).fetchall()
    small = below_k(pd.Series([n for _, n, _ in rows], dtype="int64"), k).tolist()
    return {
        "campaign_id": campaign_id,
        "ranked_by": rows[0][2] if rows else None,
        "scored_by": scored_by,
        "segments": [
            {"segment": s, "persons": n} for (s, n, _), w in zip(rows, small, strict=True) if not w
        ],
        "segments_withheld": int(sum(small)),
    }


def write_campaign_audiences(outbound, dt: str, lake_root: Path | str) -> list[CampaignFile]:
    """Build the night's audiences, write the curated record and every source's files in the
    client and bucket ``outbound(source)`` gives; returns what was written per campaign."""
    root = Path(lake_root)
    con = _connect(root, dt)
    audience = eligible(con, dt)
    con.register("audience", audience)
    with replacing(paths.partition(paths.CAMPAIGN_AUDIENCE, root, dt=dt)) as folder:
        pq.write_table(audience.drop(["segment", "predicted_rate"]), folder / "part-0.parquet")

    sources = {s.id: s for s in load_sources()}
    k = min_cell_size()
    by_source: dict[str, list[str]] = {}
    pairs = audience.select(["campaign_id", "partner_id"]).to_pydict()
    for cid, sid in sorted(set(zip(pairs["campaign_id"], pairs["partner_id"], strict=True))):
        by_source.setdefault(sid, []).append(cid)
    written = []
    for sid in sorted(by_source):
        source = sources.get(sid)
        if source is None or not source.outbound_prefix:
            raise ValueError(
                f"campaign audience {dt}: source {sid!r} of campaigns {by_source[sid]} "
                "has no outbound_prefix in the source registry"
            )
        s3, bucket = outbound(source)
        prefix = f"{source.outbound_prefix}/{DATASET}/dt={dt}/"
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        summaries = []
        for cid in by_source[sid]:
            rows = partner_file(con, cid, sid)
            _put_delivery(s3, bucket, source, dt, f"{prefix}campaign_id={cid}/", rows)
            summaries.append(summary(audience, cid, k) | {"rows": rows.num_rows})
            written.append(CampaignFile(sid, cid, rows.num_rows))
        body = {"source": sid, "dt": dt, "k": k, "campaigns": summaries}
        s3.put_object(
            Bucket=bucket,
            Key=f"{prefix}_summary.json",
            Body=json.dumps(body, indent=2, sort_keys=True).encode(),
        )
    return written


def _put_delivery(s3, bucket: str, source: Source, dt: str, prefix: str, rows: pa.Table) -> None:
    """The CSV, then its manifest (written last, as partners deliver)."""
    buf = pa.BufferOutputStream()
    pacsv.write_csv(rows, buf)
    data = buf.getvalue().to_pybytes()
    key = f"{prefix}audience.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    manifest = Manifest(
        source.id,
        DATASET,
        dt,
        SCHEMA_VERSION,
        (ManifestFile(key=key, rows=rows.num_rows, sha256=hashlib.sha256(data).hexdigest()),),
    )
    s3.put_object(Bucket=bucket, Key=f"{prefix}_manifest.json", Body=manifest.to_json().encode())
