"""Encode deliveries in their source's format and write them: part files, then the manifest.

The same bytes go to S3 (boto3) or to a local folder under the same keys.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from alliance_pipeline.generator.defects import MISSING_COLUMN
from alliance_pipeline.manifest import (
    MANIFEST_NAME,
    SCHEMA_VERSION,
    Manifest,
    ManifestFile,
    sha256_bytes,
)
from alliance_pipeline.registry import Source

EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}


@dataclass
class Delivery:
    """One source's delivery of one dataset for one night (``dt`` is YYYY-MM-DD)."""

    source: Source
    dataset: str
    dt: str
    table: pa.Table
    batch_defect: str | None = None
    defects: list[dict] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return self.source.landing_key(self.dataset, self.dt)


@dataclass
class Encoded:
    delivery: Delivery
    files: list[tuple[str, bytes, int]]  # key, bytes, rows
    manifest: Manifest

    def objects(self) -> list[tuple[str, bytes]]:
        """Every object of the delivery in write order: part files, then the manifest."""
        return [(k, b) for k, b, _ in self.files] + [
            (self.delivery.prefix + MANIFEST_NAME, self.manifest.to_json().encode())
        ]


def encode(d: Delivery, rows_per_part: int = 500_000) -> Encoded:
    table = d.table
    if d.batch_defect == "missing_required_column":
        table = table.drop_columns([MISSING_COLUMN.get(d.dataset, table.column_names[-1])])
    parts = max(1, math.ceil(table.num_rows / rows_per_part))
    ext = EXTENSIONS[d.source.format]
    files, entries = [], []
    for i in range(parts):
        chunk = table.slice(i * rows_per_part, rows_per_part)
        data = to_bytes(chunk, d.source)
        rows = chunk.num_rows
        if d.batch_defect == "truncated_file" and i == 0:
            data = data[: max(len(data) // 2, 1)]
        digest = sha256_bytes(data)
        if d.batch_defect == "checksum_mismatch" and i == 0:
            digest = sha256_bytes(data + b"\n")
        if d.batch_defect == "row_count_mismatch" and i == 0:
            rows += 3
        key = f"{d.prefix}part-{i:05d}.{ext}"
        files.append((key, data, chunk.num_rows))
        entries.append(ManifestFile(key=key, rows=rows, sha256=digest))
    manifest = Manifest(d.source.id, d.dataset, d.dt, SCHEMA_VERSION, tuple(entries))
    return Encoded(d, files, manifest)


def to_bytes(table: pa.Table, source: Source) -> bytes:
    if source.format == "parquet":
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="snappy")
        return buf.getvalue()
    text = text_table(table)
    if source.format == "csv":
        buf = io.BytesIO()
        pacsv.write_csv(text, buf, pacsv.WriteOptions(quoting_style="needed"))
        data = buf.getvalue()
    else:
        data = _jsonl(text)
    if source.encoding.lower() != "utf-8":
        data = data.decode("utf-8").encode(source.encoding)
    return data


def text_table(table: pa.Table) -> pa.Table:
    """Timestamps, money, rates and dates as the text partners write (``199.00``,
    ``2026-11-23T21:05:00+08:00``, ``2026-11-23``); other columns keep their type."""
    cols = []
    for _name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(col.type):
            col = iso_timestamps(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
        elif pa.types.is_decimal(col.type) or pa.types.is_date(col.type):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def iso_timestamps(col: pa.Array) -> pa.Array:
    """ISO 8601 text with the offset of the column's timezone, to the second (vectorised:
    Arrow's strftime is about 30x slower than casting and slicing)."""
    utc = col.cast(pa.timestamp("s", tz=col.type.tz or "UTC"), safe=False)
    local = pc.local_timestamp(utc)
    text = local.cast(pa.string())
    offset = (
        local.cast(pa.int64()).to_numpy(zero_copy_only=False)
        - utc.cast(pa.int64()).to_numpy(zero_copy_only=False)
    ) // 60
    values, index = np.unique(np.nan_to_num(offset).astype(np.int64), return_inverse=True)
    spelled = pa.array(
        [f"{'-' if v < 0 else '+'}{abs(v) // 60:02d}:{abs(v) % 60:02d}" for v in values]
    )
    return pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 0, 10),
        "T",
        pc.utf8_slice_codeunits(text, 11, 19),
        spelled.take(pa.array(index.reshape(-1))) if len(values) else pa.nulls(0, pa.string()),
        "",
    )


def _jsonl(table: pa.Table) -> bytes:
    if table.num_rows == 0:
        return b""
    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    frame = table.to_pandas(types_mapper=mapping.get)
    text = frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=6)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def write_landing(
    deliveries: Iterable[Delivery | Encoded],
    s3_client=None,
    bucket: str | None = None,
    out_dir: Path | str | None = None,
    rows_per_part: int = 500_000,
) -> Iterator[Encoded]:
    """Write each delivery (parts, then ``_manifest.json``) to S3 or under ``out_dir``.

    A generator: iterate it (e.g. ``list(write_landing(...))``) to write; it yields what it wrote.
    """
    if (s3_client is None) == (out_dir is None):
        raise ValueError("give either s3_client and bucket, or out_dir")
    if s3_client is not None:
        if not bucket:
            raise ValueError("a bucket is needed with an S3 client")
        ensure_bucket(s3_client, bucket)
    for item in deliveries:
        enc = item if isinstance(item, Encoded) else encode(item, rows_per_part)
        for key, data in enc.objects():
            if s3_client is not None:
                s3_client.put_object(Bucket=bucket, Key=key, Body=data)
            else:
                path = Path(out_dir) / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        yield enc


def ensure_bucket(s3_client, bucket: str) -> None:
    from botocore.exceptions import ClientError

    try:
        s3_client.head_bucket(Bucket=bucket)
    except ClientError:
        s3_client.create_bucket(Bucket=bucket)
