"""A CSV file's records counted on its bytes, as ``csv.reader`` over its lines would count them.

Where every quote opens a quoted field (at a field's start, or as the second quote of an escaped
``""``) or closes one (before a comma, a line end, a quote or the end of the file), the csv
module is inside a quoted field exactly where an odd number of quotes came before. A record then
ends at each ``\\n``, ``\\r\\n`` or ``\\r`` outside quotes, and a line with nothing on it is no
record. UTF-8 and GB18030 never use these four bytes inside a multi-byte character, so the count
runs a block of bytes at a time in numpy; the text is still decoded, to raise what reading it
would. A file with any other quote gives None: the caller parses it.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import BinaryIO

import numpy as np

QUOTE, COMMA, LF, CR = b'"', b",", b"\n", b"\r"
BESIDE_QUOTE = np.zeros(256, dtype=bool)  # bytes a quote may open after or close before
BESIDE_QUOTE[list(QUOTE + COMMA + LF + CR)] = True


class _Counter:
    def __init__(self) -> None:
        self.records = 0
        self.quotes = 0  # quotes so far: odd inside a quoted field
        self.last = LF[0]  # the byte before the next block (the file's start reads as a line end)
        self.line_ended = True  # the last byte ended a line (outside quotes), or nothing came yet
        self.closed_at_end = False  # the last byte closed a quoted field

    def feed(self, block: bytes) -> bool:
        """Count ``block``'s record ends; False at a quote the parity rule cannot read."""
        a = np.frombuffer(block, np.uint8)
        before = np.concatenate(([self.last], a[:-1]))
        if self.closed_at_end and not BESIDE_QUOTE[a[0]]:
            return False
        q = np.flatnonzero(a == QUOTE[0])
        opening = (self.quotes + np.arange(len(q))) % 2 == 0
        if not BESIDE_QUOTE[before[q[opening]]].all():
            return False
        closing = q[~opening]
        after = closing[closing < len(a) - 1] + 1
        if not BESIDE_QUOTE[a[after]].all():
            return False
        ends = np.flatnonzero((a == LF[0]) | (a == CR[0]))
        ends = ends[(self.quotes + np.searchsorted(q, ends)) % 2 == 0]  # outside quotes
        after_end = np.zeros(len(a), dtype=bool)  # the byte before was a line end
        after_end[ends[ends < len(a) - 1] + 1] = True
        after_end[0] = self.line_ended
        crlf = (a[ends] == LF[0]) & (before[ends] == CR[0]) & after_end[ends]
        starts = ends[~crlf]
        self.records += int(np.count_nonzero(~after_end[starts]))
        self.quotes += len(q)
        self.last = a[-1]
        self.line_ended = bool(len(ends)) and ends[-1] == len(a) - 1
        self.closed_at_end = bool(len(closing)) and closing[-1] == len(a) - 1
        return True

    def total(self) -> int | None:
        if self.quotes % 2:
            return None  # a quoted field open at the end: the csv module decides
        return self.records + (0 if self.line_ended else 1)


def count_csv(
    open_file: Callable[[], AbstractContextManager[BinaryIO]],
    codec: str,
    block_bytes: int,
) -> int | None:
    """Records of the file (the header one of them, blank lines none), or None where the csv
    module must parse it. Raises UnicodeDecodeError as decoding the file with ``codec`` would;
    ``utf-8-sig`` leaves a leading byte-order mark out."""
    decoder = codecs.getincrementaldecoder(codec)()
    counter = _Counter()
    readable = True
    bom = codecs.BOM_UTF8 if codec == "utf-8-sig" else b""
    with open_file() as stream:
        block = stream.read(max(block_bytes, len(bom)))
        decoder.decode(block)
        block = block.removeprefix(bom)
        while True:
            if block:
                readable = readable and counter.feed(block)
            if not (block := stream.read(block_bytes)):
                break
            decoder.decode(block)
        decoder.decode(b"", final=True)
    return counter.total() if readable else None
