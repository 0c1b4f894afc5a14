"""Manifest-checked ingestion of one delivery from the S3 landing zone into the raw zone.

A delivery (one source, dataset and dt) is complete when its ``_manifest.json`` exists. Its
part files are streamed into a staging folder while hashed, checked against the manifest
(sha256 and rows), then swapped into ``raw/{source}/{dataset}/dt={dt}/``. A rerun of the same
delivery gives the same raw partition; a corrected re-delivery replaces it and the earlier copy
is kept under ``_superseded``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from alliance_pipeline.lake.paths import raw_partition, superseded_partition
from alliance_pipeline.manifest import MANIFEST_NAME, Manifest, ManifestError, parse_manifest
from alliance_pipeline.registry import Source

CHUNK = 8 * 1024 * 1024
RECORD_NAME = "_ingestion.json"


class IngestionError(RuntimeError):
    """A delivery that cannot be taken; the message names source, dataset, dt and the reason."""


@dataclass(frozen=True)
class IngestionRecord:
    source: str
    dataset: str
    dt: str
    delivery_digest: str
    status: str  # ingested | unchanged | failed
    files: int
    rows: int
    bytes: int
    checksums: dict[str, str]
    message: str = ""


def manifest_key(source: Source, dataset: str, dt: str) -> str:
    return source.landing_key(dataset, dt, MANIFEST_NAME)


def manifest_present(client, bucket: str, source: Source, dataset: str, dt: str) -> bool:
    """True once the delivery's manifest exists (the sensor's poke)."""
    response = client.list_objects_v2(
        Bucket=bucket, Prefix=manifest_key(source, dataset, dt), MaxKeys=1
    )
    return response.get("KeyCount", 0) > 0


def read_manifest(client, bucket: str, source: Source, dataset: str, dt: str) -> Manifest:
    where = f"source={source.id} dataset={dataset} dt={dt}"
    try:
        body = client.get_object(Bucket=bucket, Key=manifest_key(source, dataset, dt))["Body"]
        text = body.read()
    except client.exceptions.NoSuchKey:
        raise IngestionError(f"{where}: no {MANIFEST_NAME} in the landing zone") from None
    try:
        return parse_manifest(
            text,
            source=source.id,
            dataset=dataset,
            dt=dt,
            prefix=source.landing_key(dataset, dt),
        )
    except ManifestError as exc:
        raise IngestionError(str(exc)) from None


def ingest_delivery(client, bucket: str, source: Source, dataset: str, dt: str) -> IngestionRecord:
    """Copy one delivery into the raw zone, verified against its manifest.

    Raises IngestionError naming source, dataset, dt and the reason; the raw zone is then left
    as it was.
    """
    where = f"source={source.id} dataset={dataset} dt={dt}"
    manifest = read_manifest(client, bucket, source, dataset, dt)
    target = raw_partition(source.id, dataset, dt)
    current = _current_digest(target)
    if current == manifest.digest:
        return _record(manifest, "unchanged", target)

    staging = target.parent / f".staging-{uuid.uuid4().hex}"
    staging.mkdir(parents=True)
    try:
        for entry in manifest.files:
            local = staging / entry.key.rsplit("/", 1)[-1]
            digest = _download(client, bucket, entry.key, local, where)
            if digest != entry.sha256:
                raise IngestionError(
                    f"{where}: checksum mismatch for {entry.key} "
                    f"(manifest {entry.sha256[:12]}…, file {digest[:12]}…)"
                )
            rows = count_rows(local, source, where)
            if rows != entry.rows:
                raise IngestionError(
                    f"{where}: {entry.key} has {rows} rows, the manifest says {entry.rows}"
                )
        (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
        record = _record(manifest, "ingested", staging)
        (staging / RECORD_NAME).write_text(json.dumps(asdict(record), indent=2), encoding="utf-8")
        _swap_in(staging, target, current, source.id, dataset, dt)
        return record
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def count_rows(path: Path, source: Source, where: str) -> int:
    """Data rows of one part file in the source's format; an unreadable file raises."""
    try:
        if source.format == "parquet":
            return pq.ParquetFile(path).metadata.num_rows
        if source.format == "jsonl":
            with path.open("rb") as f:
                return sum(1 for line in f if line.strip())
        return _count_csv_rows(path, source.encoding)
    except (pa.ArrowException, OSError, UnicodeDecodeError, ValueError) as exc:
        raise IngestionError(
            f"{where}: unreadable {source.format} file {path.name} ({type(exc).__name__})"
        ) from None


def _count_csv_rows(path: Path, encoding: str) -> int:
    with path.open("rb") as f:
        header = f.readline().decode("utf-8-sig" if encoding == "utf-8" else encoding)
    first = next(iter(header.strip().split(",")), "").strip('"')
    if not first:
        raise ValueError("no header")
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, block_size=CHUNK),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=[first], column_types={first: pa.string()}
        ),
    )
    return sum(batch.num_rows for batch in reader)


def _download(client, bucket: str, key: str, local: Path, where: str) -> str:
    sha = hashlib.sha256()
    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
    except client.exceptions.NoSuchKey:
        raise IngestionError(
            f"{where}: {key} is in the manifest but not in the landing zone"
        ) from None
    with local.open("wb") as out:
        for chunk in body.iter_chunks(CHUNK):
            sha.update(chunk)
            out.write(chunk)
    return sha.hexdigest()


def _current_digest(target: Path) -> str | None:
    manifest = target / MANIFEST_NAME
    if not manifest.exists():
        return None
    return hashlib.sha256(manifest.read_bytes()).hexdigest()


def _swap_in(staging: Path, target: Path, current: str | None, source: str, dataset: str, dt: str):
    """Replace ``target`` by ``staging``; an earlier, different delivery is kept, not deleted."""
    if target.exists():
        keep = superseded_partition(source, dataset, dt, current or "unknown")
        if keep.exists():
            shutil.rmtree(keep)
        keep.parent.mkdir(parents=True, exist_ok=True)
        os.replace(target, keep)
    os.replace(staging, target)


def _record(manifest: Manifest, status: str, folder: Path) -> IngestionRecord:
    return IngestionRecord(
        source=manifest.source,
        dataset=manifest.dataset,
        dt=manifest.dt,
        delivery_digest=manifest.digest,
        status=status,
        files=len(manifest.files),
        rows=manifest.rows,
        bytes=sum((folder / f.key.rsplit("/", 1)[-1]).stat().st_size for f in manifest.files),
        checksums={f.key.rsplit("/", 1)[-1]: f.sha256 for f in manifest.files},
    )


def failed_record(source: str, dataset: str, dt: str, message: str) -> IngestionRecord:
    return IngestionRecord(source, dataset, dt, "", "failed", 0, 0, 0, {}, message)


def log_rows(record: IngestionRecord, run_id: str) -> pa.Table:
    """The record as one row of ops.ingestion_log."""
    return pa.Table.from_pylist(
        [
            {
                "run_id": run_id,
                "source": record.source,
                "dataset": record.dataset,
                "dt": datetime.strptime(record.dt, "%Y-%m-%d").date(),
                "delivery_digest": record.delivery_digest,
                "status": record.status,
                "files": record.files,
                "rows": record.rows,
                "bytes": record.bytes,
                "checksums": json.dumps(record.checksums, sort_keys=True),
                "message": record.message,
                "ingested_at": datetime.now(UTC),
            }
        ]
    )


def record_ingestion(wh, record: IngestionRecord, run_id: str) -> None:
    """Write the record to ops.ingestion_log, replacing any earlier one of the same delivery."""
    wh.replace_partition(
        "ops.ingestion_log",
        {
            "source": record.source,
            "dataset": record.dataset,
            "dt": datetime.strptime(record.dt, "%Y-%m-%d").date(),
            "delivery_digest": record.delivery_digest,
        },
        log_rows(record, run_id),
    )
