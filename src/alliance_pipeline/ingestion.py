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
from botocore.exceptions import BotoCoreError, ClientError

from alliance_pipeline.lake.paths import raw_partition, superseded_partition
from alliance_pipeline.manifest import (
    MANIFEST_NAME,
    Manifest,
    ManifestError,
    ManifestFile,
    file_name,
    parse_manifest,
)
from alliance_pipeline.part_files import FileProblem, codec_label, count_records
from alliance_pipeline.registry import Source

CHUNK = 8 * 1024 * 1024
RECORD_NAME = "_ingestion.json"


class IngestionError(RuntimeError):
    """A delivery that cannot be taken; the message names source, dataset, dt and the reason.
    ``transient``: S3 failed in a way a retry may not meet (a lost connection, throttling, a
    server error); otherwise the same delivery fails the same way."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


TRANSIENT_S3_CODES = ("SlowDown", "Throttling", "RequestTimeout", "ServiceUnavailable")


def s3_error(exc: Exception, where: str, key: str) -> IngestionError:
    """Any S3 client error on ``key`` as an ingestion error (no traceback, no response body)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "unknown")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in ("NoSuchKey", "404"):
            return IngestionError(f"{where}: {key} is not in the landing zone")
        transient = status >= 500 or code in TRANSIENT_S3_CODES
        return IngestionError(f"{where}: S3 refused {key} ({code})", transient=transient)
    return IngestionError(f"{where}: S3 error on {key} ({type(exc).__name__})", transient=True)


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
    key = manifest_key(source, dataset, dt)
    try:
        text = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except client.exceptions.NoSuchKey:
        raise IngestionError(f"{where}: no {MANIFEST_NAME} in the landing zone") from None
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, where, key) from None
    return manifest_from(text, source, dataset, dt)


def manifest_from(text: bytes, source: Source, dataset: str, dt: str) -> Manifest:
    """The delivery's manifest checked against its partition; raises IngestionError."""
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
            local = staging / file_name(entry.key)
            digest = _download(client, bucket, entry.key, local, where)
            check_part(local, digest, entry, source, where)
        (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
        record = _record(manifest, "ingested", staging)
        (staging / RECORD_NAME).write_text(json.dumps(asdict(record), indent=2), encoding="utf-8")
        _swap_in(staging, target, current, source.id, dataset, dt)
        return record
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_part(local: Path, digest: str, entry: ManifestFile, source: Source, where: str) -> None:
    """A downloaded part file against its manifest entry: checksum, then rows."""
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


def count_rows(path: Path, source: Source, where: str) -> int:
    """Data rows of one part file, counted as validation reads them (a line with a stray
    separator is a row, for validation to quarantine); a file without rows to count raises.
    An empty JSON Lines file is a delivery of no records; CSV needs a header, Parquet a footer."""
    if not path.stat().st_size and source.format != "jsonl":
        raise IngestionError(f"{where}: {path.name} is empty (0 bytes)")
    try:
        return count_records(lambda: path.open("rb"), source.format, source.encoding)
    except FileProblem as problem:
        raise IngestionError(f"{where}: {path.name}: {problem.rule}: {problem.detail}") from None
    except UnicodeDecodeError as exc:
        raise IngestionError(
            f"{where}: {path.name} is not valid {codec_label(source.encoding)} text ({exc.reason})"
        ) from None


def _download(client, bucket: str, key: str, local: Path, where: str) -> str:
    sha = hashlib.sha256()
    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        with local.open("wb") as out:
            for chunk in body.iter_chunks(CHUNK):
                sha.update(chunk)
                out.write(chunk)
    except client.exceptions.NoSuchKey:
        raise IngestionError(
            f"{where}: {key} is in the manifest but not in the landing zone"
        ) from None
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, where, key) from None
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
        bytes=sum((folder / file_name(f.key)).stat().st_size for f in manifest.files),
        checksums={file_name(f.key): f.sha256 for f in manifest.files},
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
