"""Vectorised identifiers: CN mobiles in many spellings, resident ids with check digits, e-mails."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.generator.reference import MOBILE_PREFIXES

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_CHARS = "10X98765432"

# How a source writes a mobile; {a} {b} {c} are the 3-4-4 digit groups.
MOBILE_FORMATS = (
    "{a}{b}{c}",
    "{a} {b} {c}",
    "+86-{a}-{b}-{c}",
    "86{a}{b}{c}",
    "0086 {a}{b}{c}",
    "+86 {a}{b}{c}",
    "{a}-{b}-{c}",
    "+86{a}{b}{c}",
)
FULL_WIDTH_OFFSET = 0xFF10 - ord("0")


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 11-digit CN mobile numbers as int64 (1[3-9]x prefixes)."""
    prefixes = np.array([p for p, _ in MOBILE_PREFIXES], dtype=np.int64)
    weights = np.array([w for _, w in MOBILE_PREFIXES], dtype=float)
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        k = int((n - out.size) * 1.05) + 16
        pre = rng.choice(prefixes, size=k, p=weights / weights.sum())
        cand = pre * 100_000_000 + rng.integers(0, 100_000_000, size=k)
        out = np.concatenate([out, cand])
        _, first = np.unique(out, return_index=True)
        out = out[np.sort(first)]
    return out[:n]


def format_mobiles(numbers: np.ndarray, style: np.ndarray, full_width: np.ndarray) -> pa.Array:
    """Spell each number in ``MOBILE_FORMATS[style]``; ``full_width`` rows use ０-９ digits."""
    digits = pa.array(numbers).cast(pa.string())
    a = pc.utf8_slice_codeunits(digits, 0, 3)
    b = pc.utf8_slice_codeunits(digits, 3, 7)
    c = pc.utf8_slice_codeunits(digits, 7, 11)
    out = pa.nulls(len(numbers), pa.string())
    for i, fmt in enumerate(MOBILE_FORMATS):
        mask = pa.array(style == i)
        if not pc.any(mask).as_py():
            continue
        parts = _split_format(fmt)
        pieces = [{"a": a, "b": b, "c": c}.get(p, p) for p in parts]
        spelled = pc.binary_join_element_wise(*pieces, "")
        out = pc.if_else(mask, spelled, out)
    if full_width.any():
        out = _to_full_width(out, full_width)
    return out


def _split_format(fmt: str) -> list[str]:
    parts: list[str] = []
    rest = fmt
    while rest:
        start = rest.find("{")
        if start == -1:
            parts.append(rest)
            break
        if start:
            parts.append(rest[:start])
        parts.append(rest[start + 1])
        rest = rest[start + 3 :]
    return parts


def _to_full_width(values: pa.Array, mask: np.ndarray) -> pa.Array:
    idx = np.flatnonzero(mask)
    chosen = np.array(values.take(pa.array(idx)).to_pylist(), dtype=str)
    codes = chosen.view(np.uint32).reshape(len(idx), -1).copy()
    is_digit = (codes >= ord("0")) & (codes <= ord("9"))
    codes[is_digit] += FULL_WIDTH_OFFSET
    wide = codes.view(f"<U{codes.shape[1]}").ravel()
    py = values.to_numpy(zero_copy_only=False).astype(object)
    py[idx] = wide
    return pa.array(py, pa.string())


def resident_id_check_digits(first17: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check characters for an (n, 17) matrix of digits."""
    total = (first17.astype(np.int64) * ID_WEIGHTS).sum(axis=1) % 11
    return np.array(list(ID_CHECK_CHARS))[total]


def resident_ids(
    rng: np.random.Generator, region: np.ndarray, birth: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """18-character resident ids: region (6 digits) + birth date + sequence (odd: male) + check."""
    n = len(region)
    ymd = birth.astype("datetime64[D]").astype(str)
    birth_num = np.char.replace(ymd, "-", "").astype(np.int64)
    seq = rng.integers(0, 500, size=n) * 2 + male.astype(np.int64)
    body = region.astype(np.int64) * 10**11 + birth_num * 1000 + seq
    digits = (body[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = resident_id_check_digits(digits)
    return np.char.add(body.astype(str), check)


def is_valid_resident_id(value: str) -> bool:
    """Check digit test for one id (used by tests and readable as the rule)."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    digits = np.array([int(ch) for ch in value[:17]])[None, :]
    return resident_id_check_digits(digits)[0] == value[17].upper()


def emails(rng: np.random.Generator, handles: pa.Array, domains: np.ndarray, n: int) -> pa.Array:
    """Addresses ``handle + number @ domain``; the number makes them distinct per person."""
    serial = pa.array(np.arange(n, dtype=np.int64) * 7 + rng.integers(0, 7, size=n)).cast(
        pa.string()
    )
    return pc.binary_join_element_wise(handles, serial, "@", pa.array(domains), "")


def spell_emails(values: pa.Array, upper: np.ndarray, title: np.ndarray, pad: np.ndarray):
    """A source's spelling of e-mails: some upper-cased, some capitalised, some padded."""
    out = pc.if_else(pa.array(upper), pc.utf8_upper(values), values)
    out = pc.if_else(pa.array(title), pc.utf8_capitalize(out), out)
    padded = pc.binary_join_element_wise(" ", out, "  ", "")
    return pc.if_else(pa.array(pad), padded, out)
