"""A PII leak scanner: collect the persons' identifiers from landing files, search outputs for them.

    needles = collect_pii(landing_root)             # the generator's landing layout or raw/
    findings = scan_tree(needles, lake / "clean") + scan_warehouse(needles, wh)
    assert not findings, "\\n".join(map(str, findings))

Collected from every ``users`` delivery (any registry format and encoding) and from the free text
of every other delivery: full names, mobiles (the 11-digit national number behind every spelling,
plus spellings that do not normalise, such as Excel's ``1.38001E+10``), e-mails (normalised),
resident ids of 18 or 15 digits (uppercased) and exact birth dates; from free text also QQ
numbers, WeChat ids, bank card numbers and street addresses (the shapes of :mod:`.normalise`).

Searched, in any text: a mobile's digits with or without ``+86``/``0086``/``86`` and up to four
separators between digits (the separators of the free-text redaction), full-width or not; an
e-mail case-insensitively; a resident id in either case; a Chinese name as a substring of a run
of Chinese characters, a Latin name as 1-3 consecutive words spelling it (either order); a birth
date as ``YYYY-MM-DD`` (also with ``/`` or ``.``); a QQ or bank card number as the digits of a
digit run; a WeChat id case-insensitively; an address literally. Text files are searched after undoing HTML entities, ``\\uXXXX`` escapes and
URL escapes; Parquet values are decoded to text column by column.

A :class:`Finding` names where and what kind, never the value: findings can be printed and
asserted on in logs.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from alliance_pipeline.privacy import normalise as N
from alliance_pipeline.registry import Source, load_sources

KINDS = (
    "full_name",
    "mobile",
    "email",
    "resident_id",
    "birth_date",
    "qq",
    "wechat",
    "bank_card",
    "address",
)
USERS_COLUMNS = {
    "full_name": "full_name",
    "mobile": "mobile",
    "email": "email",
    "id_card_no": "resident_id",
    "birth_date": "birth_date",
}
MIN_NAME_CHARS = 2  # a single character is no name to search for
FORMAT_OF_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}

_WIDE = str.maketrans(N.WIDE, N.NARROW)
_DIGIT_RUN = re.compile(f"[0-9](?:{N.SEPARATOR}{{0,4}}[0-9])*")
_NOT_DIGIT = re.compile(r"[^0-9]")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_RESIDENT_ID = re.compile(f"(?<![0-9])[0-9](?:{N.SEPARATOR}{{0,4}}[0-9Xx])*")
_RESIDENT_ID_LENGTHS = (15, 18)
_RESIDENT_ID_SHAPE = re.compile(N.RESIDENT_ID_IN_TEXT)
_RESIDENT_ID_15_SHAPE = re.compile(N.RESIDENT_ID_15_IN_TEXT)
_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?![0-9])")
_HAN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(N.LATIN_WORD)
_QQ = re.compile(N.QQ_IN_TEXT)
_WECHAT = re.compile(N.WECHAT_IN_TEXT)
_BANK_CARD = re.compile(N.BANK_CARD_IN_TEXT)
_ADDRESS = re.compile(N.ADDRESS_IN_TEXT)
_U_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_BINARY_SNIFF = 8192


@dataclass(frozen=True)
class Finding:
    """One kind of identifier found at one location (``count`` hits); never the value."""

    location: str
    kind: str
    count: int = 1

    def __str__(self) -> str:
        return f"{self.kind} x{self.count} in {self.location}"


@dataclass
class Needles:
    """What to look for. Holds personal data: never print or log it (its repr does not)."""

    names: set[str] = field(default_factory=set, repr=False)
    mobiles: set[str] = field(default_factory=set, repr=False)  # 11-digit national numbers
    raw_mobiles: set[str] = field(default_factory=set, repr=False)  # spellings as delivered
    emails: set[str] = field(default_factory=set, repr=False)  # trimmed, lowercased
    resident_ids: set[str] = field(default_factory=set, repr=False)  # uppercased
    birth_dates: set[str] = field(default_factory=set, repr=False)  # YYYY-MM-DD
    latin_names: set[str] = field(default_factory=set, repr=False)  # letters, lowercased
    qq: set[str] = field(default_factory=set, repr=False)  # digits
    wechat: set[str] = field(default_factory=set, repr=False)  # lowercased
    bank_cards: set[str] = field(default_factory=set, repr=False)  # digits
    addresses: set[str] = field(default_factory=set, repr=False)  # as written

    def counts(self) -> dict[str, int]:
        return {
            "full_name": len(self.names) + len(self.latin_names),
            "mobile": len(self.mobiles),
            "mobile_spellings": len(self.raw_mobiles),
            "email": len(self.emails),
            "resident_id": len(self.resident_ids),
            "birth_date": len(self.birth_dates),
            "qq": len(self.qq),
            "wechat": len(self.wechat),
            "bank_card": len(self.bank_cards),
            "address": len(self.addresses),
        }

    def literal_mobiles(self) -> set[str]:
        """Delivered spellings that carry no recoverable number (searched literally)."""
        return {
            m.strip()
            for m in self.raw_mobiles
            if not _national(m) and len(_NOT_DIGIT.sub("", m.translate(_WIDE))) >= 6
        }

    def add(self, kind: str, value: str | None) -> None:
        if value is None or not str(value).strip():
            return
        value = str(value)
        if kind == "full_name":
            self.names.update(n for n in _HAN.findall(value) if len(n) >= MIN_NAME_CHARS)
            self.latin_names |= {k for k in N.name_keys(value) if k.isascii()}
        elif kind == "mobile":
            self.raw_mobiles.add(value)
            self.mobiles |= _national(value)
        elif kind == "email":
            if email := N.normalise_email(value.translate(_WIDE)):
                self.emails.add(email)
        elif kind == "resident_id":
            self.resident_ids.add(re.sub(N.RESIDENT_ID_STRIP, "", value.translate(_WIDE)).upper())
        elif kind == "birth_date":
            self.birth_dates |= {_iso(m) for m in _DATE.finditer(value)}

    def add_free_text(self, text: str) -> None:
        """Identifiers written inside free text (comments) of a delivery."""
        narrow = text.translate(_WIDE)
        self.emails |= {m.group(0).lower() for m in _EMAIL.finditer(narrow)}
        for shape in (_RESIDENT_ID_SHAPE, _RESIDENT_ID_15_SHAPE):
            self.resident_ids |= {_strip_id(m.group(0)) for m in shape.finditer(narrow)}
        for run in _DIGIT_RUN.finditer(narrow):
            self.mobiles |= _national(run.group(0))
        self.qq |= {_NOT_DIGIT.sub("", m.group(0)[len(m.group(1)) :]) for m in _QQ.finditer(narrow)}
        self.wechat |= {m.group(0)[len(m.group(1)) :].lower() for m in _WECHAT.finditer(narrow)}
        self.bank_cards |= {_NOT_DIGIT.sub("", m.group(0)) for m in _BANK_CARD.finditer(narrow)}
        self.addresses |= {m.group(0) for m in _ADDRESS.finditer(text)}


def _national(value: str) -> set[str]:
    """The 11-digit CN mobile behind one spelling (empty when none)."""
    e164 = N.normalise_mobile(value)
    return {e164[3:]} if e164 and e164.startswith("+86") else set()


def _strip_id(value: str) -> str:
    return re.sub(r"[^0-9X]", "", value.upper())


def _iso(m: re.Match) -> str:
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def _mobiles_in(text: str, mobiles: set[str]) -> int:
    hits = 0
    for run in _DIGIT_RUN.finditer(text):
        digits = _NOT_DIGIT.sub("", run.group(0))
        hits += any(digits[i : i + 11] in mobiles for i in range(len(digits) - 10))
    return hits


def _resident_ids_in(text: str, ids: set[str]) -> int:
    hits = 0
    for run in _RESIDENT_ID.finditer(text):
        s = _strip_id(run.group(0))
        hits += any(
            s[i : i + n] in ids for n in _RESIDENT_ID_LENGTHS for i in range(len(s) - n + 1)
        )
    return hits


def _digit_runs_holding(text: str, numbers: set[str]) -> int:
    if not numbers:
        return 0
    runs = (_NOT_DIGIT.sub("", r.group(0)) for r in _DIGIT_RUN.finditer(text))
    return sum(any(n in digits for n in numbers) for digits in runs)


def _latin_names_in(text: str, names: set[str]) -> int:
    if not names:
        return 0
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    return sum(
        "".join(words[i : i + n]) in names
        for n in range(1, N.MAX_LATIN_NAME_WORDS + 1)
        for i in range(len(words) - n + 1)
    )


def find_in_text(text: str, needles: Needles, literals: set[str] | None = None) -> Counter:
    """Hits per kind in ``text`` (values separated by newlines never join)."""
    found: Counter[str] = Counter()
    if not text:
        return found
    narrow = text.translate(_WIDE)
    found["email"] = sum(m.group(0).lower() in needles.emails for m in _EMAIL.finditer(narrow))
    found["resident_id"] = _resident_ids_in(narrow, needles.resident_ids)
    found["mobile"] = _mobiles_in(narrow, needles.mobiles)
    for literal in literals if literals is not None else needles.literal_mobiles():
        found["mobile"] += text.count(literal)
    found["birth_date"] = sum(_iso(m) in needles.birth_dates for m in _DATE.finditer(narrow))
    lengths = {len(n) for n in needles.names}
    for run in _HAN.findall(text):
        for size in lengths:
            found["full_name"] += sum(
                run[i : i + size] in needles.names for i in range(len(run) - size + 1)
            )
    found["full_name"] += _latin_names_in(narrow, needles.latin_names)
    found["qq"] = _digit_runs_holding(narrow, needles.qq)
    found["bank_card"] = _digit_runs_holding(narrow, needles.bank_cards)
    lowered = narrow.lower()
    found["wechat"] = sum(lowered.count(w) for w in needles.wechat)
    found["address"] = sum(text.count(a) for a in needles.addresses)
    return +found


# ---------------------------------------------------------------- collecting from landing files


def collect_pii(landing_root: str | Path, sources: Iterable[Source] | None = None) -> Needles:
    """Every person identifier delivered under ``landing_root``.

    The folder may be in the landing layout (``{landing_prefix}/{dataset}/dt=.../``) or the raw
    zone's (``raw/{source}/{dataset}/dt=.../``); a delivery's source (thus its encoding) is
    recognised from either. ``users`` files give the identity columns; every other text cell is
    searched for identifiers written in free text.
    """
    root = Path(landing_root)
    sources = list(sources) if sources is not None else load_sources()
    needles = Needles()
    for path in sorted(root.rglob("*")):
        fmt = FORMAT_OF_SUFFIX.get(path.suffix.lower())
        if fmt is None or not path.is_file() or path.name.startswith("_"):
            continue
        parts = path.relative_to(root).parts
        if len(parts) < 3 or not parts[-2].startswith("dt="):
            continue
        dataset, prefix = parts[-3], "/".join(parts[:-3])
        src = _source_of(prefix, sources)
        columns = _read_columns(path.read_bytes(), fmt, src.encoding if src else "utf-8")
        for name, values in columns.items():
            kind = USERS_COLUMNS.get(name) if dataset == "users" else None
            for value in values:
                if kind:
                    needles.add(kind, value)
                else:
                    needles.add_free_text(value)
    return needles


def _source_of(prefix: str, sources: list[Source]) -> Source | None:
    for src in sources:
        if prefix.endswith(src.landing_prefix) or prefix.split("/")[-1] == src.id:
            return src
    return None


def _read_columns(data: bytes, fmt: str, encoding: str) -> dict[str, list[str]]:
    """Text cells by column, tolerant of damaged files (a truncated delivery still holds PII)."""
    if fmt == "parquet":
        try:
            return parquet_text_columns(pq.read_table(io.BytesIO(data)))
        except (pa.ArrowInvalid, OSError):
            return {"": [_decode(data, "utf-8")]}
    text = _decode(data, encoding)
    if fmt == "jsonl":
        import json

        out: dict[str, list[str]] = {}
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                out.setdefault("", []).append(line)
                continue
            for k, v in record.items() if isinstance(record, dict) else []:
                if v is not None:
                    out.setdefault(k, []).append(str(v))
        return out
    import csv

    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return {}
    header = rows[0]
    out = {name: [] for name in header}
    for row in rows[1:]:
        for name, value in zip(header, row, strict=False):
            if value:
                out[name].append(value)
    return out


def _decode(data: bytes, encoding: str) -> str:
    for codec in dict.fromkeys(("utf-8-sig" if encoding == "utf-8" else encoding, "utf-8", "gbk")):
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- searching outputs


def parquet_text_columns(table: pa.Table) -> dict[str, list[str]]:
    """Every non-boolean column's values as text (dates, timestamps, numbers included)."""
    out = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_boolean(col.type):
            continue
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            values = [v.decode("utf-8", "replace") for v in col.to_pylist() if v is not None]
        elif pa.types.is_nested(col.type):
            values = [str(v) for v in col.to_pylist() if v is not None]
        else:
            try:
                text = pc.cast(col, pa.string())
            except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
                text = pa.array([None if v is None else str(v) for v in col.to_pylist()])
            values = [v for v in text.to_pylist() if v is not None]
        out[name] = values
    return out


def _unescape(text: str) -> str:
    text = html.unescape(text) if "&" in text else text
    text = _U_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "\\u" in text else text
    return unquote(text) if "%" in text else text


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"PAR1"


def scan_file(path: Path, needles: Needles, literals: set[str] | None = None) -> list[Finding]:
    """Findings in one file: per column of a Parquet file, per kind (first line) of a text file."""
    literals = needles.literal_mobiles() if literals is None else literals
    if _is_parquet(path):
        try:
            columns = parquet_text_columns(pq.read_table(path))
        except (pa.ArrowInvalid, OSError):
            return [Finding(str(path), "unreadable_parquet")]
        findings = []
        for name, values in columns.items():
            hits = find_in_text("\n".join(values), needles, literals)
            findings += [Finding(f"{path}#{name}", k, n) for k, n in sorted(hits.items())]
        return findings
    data = path.read_bytes()
    if b"\0" in data[:_BINARY_SNIFF]:
        return []
    text = _unescape(_decode(data, "utf-8"))
    if not find_in_text(text, needles, literals):
        return []
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, n in find_in_text(line, needles, literals).items():
            findings.append(Finding(f"{path}:{number}", kind, n))
    return _first_line_per_kind(findings)


def _first_line_per_kind(findings: list[Finding]) -> list[Finding]:
    """One finding per (file, kind): the first line, with the total count."""
    merged: dict[tuple[str, str], Finding] = {}
    for f in findings:
        file = f.location.rsplit(":", 1)[0]
        seen = merged.get((file, f.kind))
        merged[file, f.kind] = Finding(seen.location, f.kind, seen.count + f.count) if seen else f
    return list(merged.values())


def scan_tree(needles: Needles, *roots: str | Path) -> list[Finding]:
    """Every file under ``roots`` (Parquet decoded; other files read as text, binaries skipped)."""
    literals = needles.literal_mobiles()
    findings = []
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            findings += scan_file(path, needles, literals)
    return findings


TEXT_TYPES = (
    "text",
    "varchar",
    "character varying",
    "character",
    "char",
    "bpchar",
    "json",
    "jsonb",
)


def scan_warehouse(needles: Needles, wh, schemas: Iterable[str] = ("mart",)) -> list[Finding]:
    """Every text column of every table and view in ``schemas`` of a Warehouse."""
    literals = needles.literal_mobiles()
    schemas = list(schemas)
    marks = ", ".join("?" for _ in schemas)
    columns = wh.query(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema IN ({marks}) ORDER BY 1, 2, ordinal_position",
        schemas,
    )
    findings = []
    for schema, table, column, data_type in columns:
        if str(data_type).lower() not in TEXT_TYPES:
            continue
        rows = wh.query(f'SELECT "{column}" FROM {schema}."{table}" WHERE "{column}" IS NOT NULL')
        hits = find_in_text("\n".join(str(r[0]) for r in rows), needles, literals)
        findings += [Finding(f"{schema}.{table}.{column}", k, n) for k, n in sorted(hits.items())]
    return findings
