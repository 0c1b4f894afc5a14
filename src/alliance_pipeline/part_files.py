"""One delivered part file as frames of text cells, at most ``chunk_rows`` records at a time.

CSV and JSON Lines are decoded as a stream (a block of bytes, then a line, at a time); Parquet is
read a batch of rows at a time. A source registered as GBK is read as GB18030, its superset (a
rare name character outside GBK is still a valid character); a CSV field has no size limit.
Cells are text as delivered (``None`` for absent or empty cells, see readers for the rules). A
problem that makes the whole file unusable raises :class:`FileProblem` (``encoding``,
``file_unreadable``, ``file_empty``, ``duplicate_column``: a header naming a column twice),
possibly after frames were given: a file is known to be sound only once read through.
:func:`count_records` counts a file's rows the same way (ingestion's check of the manifest).
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from itertools import islice
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alliance_pipeline.csv_count import count_csv

BLOCK_BYTES = 1 << 20
UTF8_BOM = codecs.BOM_UTF8
Opener = Callable[[], AbstractContextManager[BinaryIO]]
# Python's csv refuses fields over 128 KiB by default; a long comment is a valid cell.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class FileProblem(Exception):
    def __init__(self, rule: str, detail: str):
        super().__init__(f"{rule}: {detail}")
        self.rule, self.detail = rule, detail


def file_frames(
    open_file: Opener, fmt: str, encoding: str, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    """The file's records, ``chunk_rows`` at a time (a file without records: one empty frame
    with its columns, none for JSON Lines)."""
    if fmt == "parquet":
        yield from _parquet_frames(open_file, chunk_rows)
        return
    has_content = _check_text(open_file, encoding)
    if fmt == "jsonl":
        if has_content:
            yield from _jsonl_frames(open_file, encoding, chunk_rows)
        return
    if not has_content:
        raise FileProblem("file_empty", "the file has no content, not even a header")
    yield from _csv_frames(open_file, encoding, chunk_rows)


def _codec(encoding: str) -> str:
    """The codec a registry encoding is read with: GBK as GB18030 (its superset), UTF-8 with or
    without Excel's BOM."""
    return "gb18030" if encoding == "gbk" else "utf-8-sig"


def codec_label(encoding: str) -> str:
    return _codec(encoding).removesuffix("-sig").upper()


def _check_text(open_file: Opener, encoding: str) -> bool:
    """Raises the file's encoding problem, if any; returns whether it has non-blank content."""
    if encoding == "gbk" and _utf8_beyond_ascii(open_file):
        raise FileProblem("encoding", "the registry says GBK but the file is UTF-8")
    decoder = codecs.getincrementaldecoder(_codec(encoding))()
    offset, has_content, bom = 0, False, 0
    with open_file() as stream:
        while block := stream.read(BLOCK_BYTES):
            if not offset and block.startswith(UTF8_BOM) and encoding != "gbk":
                bom = len(UTF8_BOM)
            has_content = has_content or bool(block.strip())
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                # the first block's positions already leave the BOM out, as decoding whole does
                at = exc.start if not offset else offset - pending + exc.start - bom
                raise FileProblem(
                    "encoding", f"not valid {codec_label(encoding)} at byte {at}"
                ) from None
            offset += len(block)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            at = offset - pending + exc.start - bom
            raise FileProblem(
                "encoding", f"not valid {codec_label(encoding)} at byte {at}"
            ) from None
    return has_content


def _utf8_beyond_ascii(open_file: Opener) -> bool:
    """Starts with a UTF-8 BOM, or is valid UTF-8 and not only ASCII."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    ascii_only = True
    with open_file() as stream:
        first = True
        while block := stream.read(BLOCK_BYTES):
            if first and block.startswith(UTF8_BOM):
                return True
            first = False
            ascii_only = ascii_only and block.isascii()
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                return False
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return not ascii_only


def _text_lines(open_file: Opener, encoding: str) -> Iterator[str]:
    """Lines with their endings (``\\n``, ``\\r\\n`` or ``\\r``), decoded."""
    with open_file() as stream:
        yield from io.TextIOWrapper(stream, encoding=_codec(encoding), newline="")


def csv_records(open_file: Opener, encoding: str) -> Iterator[list[str]]:
    """The CSV's non-blank records, the header first: how every reader of a CSV counts rows."""
    try:
        yield from filter(None, csv.reader(_text_lines(open_file, encoding)))
    except csv.Error as exc:
        raise FileProblem("file_unreadable", f"CSV does not parse ({exc})") from None


def check_header(names: list[str]) -> None:
    """A header naming a column twice cannot be read (which is which?): the file is refused.
    Positions only: a header may be a row of personal data."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name in seen:
            raise FileProblem(
                "duplicate_column", f"columns {seen[name]} and {i} of the header have one name"
            )
        seen[name] = i


def _csv_frames(open_file: Opener, encoding: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    records = csv_records(open_file, encoding)
    header = next(records, None)
    if header is None:
        raise FileProblem("file_empty", "the file has no content, not even a header")
    check_header(header)
    given = False
    while body := _without_gc(lambda: list(islice(records, chunk_rows))):
        yield _csv_frame(header, body)
        given = True
    if not given:
        yield _csv_frame(header, [])


def _without_gc(make):
    """``make()`` with the cycle collector paused: a chunk is many small lists or dicts, none
    garbage, which the collector would otherwise walk again and again as they pile up."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return make()
    finally:
        if paused:
            gc.enable()


def _csv_frame(header: list[str], body: list[list[str]]) -> pd.DataFrame:
    """Cells as text (empty -> None); a record whose field count differs from the header's
    (a cut line, a stray separator) is kept, padded or cut, and flagged in ``_cut``."""
    width = len(header)
    cut = np.fromiter(map(len, body), np.int64, len(body)) != width
    if cut.any():
        body = [(r + [""] * width)[:width] for r in body]
    cells = np.empty((len(body), width), dtype=object)
    if body:
        cells[:] = body
    cells[cells == ""] = None
    frame = pd.DataFrame(cells, columns=header)
    if cut.any():
        frame["_cut"] = cut
    return frame


def jsonl_lines(open_file: Opener, encoding: str) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their numbers. Lines end at ``\n``, ``\r\n`` or ``\r`` only: a
    JSON string may hold U+2028 and the like, which ``str.splitlines`` would break at."""
    for number, line in enumerate(_text_lines(open_file, encoding), start=1):
        if line.strip():
            yield number, line


def count_records(open_file: Opener, fmt: str, encoding: str) -> int:
    """Data records of a part file, counted as :func:`file_frames` reads them (the manifest's
    rows); raises FileProblem for a file without content or, for CSV, without a header."""
    if fmt == "parquet":
        with open_file() as stream:
            try:
                return pq.ParquetFile(stream).metadata.num_rows
            except PARQUET_ERRORS as exc:
                raise _parquet_problem(exc) from None
    if fmt == "jsonl":
        return sum(1 for _ in jsonl_lines(open_file, encoding))
    records = count_csv(open_file, _codec(encoding), BLOCK_BYTES)
    if records is None:  # a quote the byte count cannot read: as the csv module reads it
        records = sum(1 for _ in csv_records(open_file, encoding))
    if not records:
        raise FileProblem("file_empty", "the file has no content, not even a header")
    return records - 1


def _jsonl_frames(open_file: Opener, encoding: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    records = map(_jsonl_record, jsonl_lines(open_file, encoding))
    while chunk := _without_gc(lambda: list(islice(records, chunk_rows))):
        yield _jsonl_frame(chunk)


def _jsonl_record(numbered: tuple[int, str]) -> dict:
    number, line = numbered
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        raise FileProblem("file_unreadable", f"line {number} is not JSON") from None
    if not isinstance(record, dict):
        raise FileProblem("file_unreadable", f"line {number} is not a JSON object")
    return record


def _jsonl_frame(records: list[dict]) -> pd.DataFrame:
    # Straight from the parsed values: a frame would turn an int column with a null into floats.
    names = list(dict.fromkeys(k for r in records for k in r))
    return pd.DataFrame(
        {str(n): [text_cell(r.get(n)) for r in records] for n in names}, dtype=object
    )


def _parquet_frames(open_file: Opener, chunk_rows: int) -> Iterator[pd.DataFrame]:
    with open_file() as stream:
        try:
            # buffered column chunks: a row group is read a page at a time, never whole
            parquet = pq.ParquetFile(stream, buffer_size=BLOCK_BYTES, pre_buffer=False)
            check_header(parquet.schema_arrow.names)
            given = False
            for batch in parquet.iter_batches(batch_size=chunk_rows):
                given = True
                yield _parquet_frame(batch)
            if not given:
                yield _parquet_frame(parquet.schema_arrow.empty_table())
        except PARQUET_ERRORS as exc:
            raise _parquet_problem(exc) from None


# Arrow reads names and string pages without checking their UTF-8: Python's decode does.
PARQUET_ERRORS = (pa.ArrowException, OSError, UnicodeDecodeError)


def _parquet_problem(exc: Exception) -> FileProblem:
    if isinstance(exc, UnicodeDecodeError):
        return FileProblem("encoding", f"Parquet text that is not UTF-8 ({exc.reason})")
    return FileProblem("file_unreadable", f"not a readable Parquet file ({exc})")


def _parquet_frame(batch: pa.RecordBatch | pa.Table) -> pd.DataFrame:
    return pd.DataFrame(
        {n: [text_cell(v) for v in batch.column(n).to_pylist()] for n in batch.schema.names},
        dtype=object,
    )


def text_cell(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo else value.isoformat() + "(no offset)"
    if isinstance(value, float | np.floating):
        return repr(float(value))
    text = str(value)
    return text if text != "" else None
