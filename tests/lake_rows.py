"""What a lake zone holds, per partition folder and independent of how Spark split it into part
files (whose names are random and whose row order depends on the run)."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path


def parquet_rows(root: Path) -> dict[str, list[dict]]:
    """Per partition folder under ``root`` (relative path), its rows in no particular order."""
    import pyarrow.parquet as pq

    return {
        str(folder.relative_to(root)): pq.read_table(folder, partitioning=None).to_pylist()
        for folder in sorted({p.parent for p in root.rglob("*.parquet")})
    }


def parquet_content(root: Path) -> dict[str, str]:
    """Per partition folder, a digest of its rows."""
    return {
        folder: hashlib.sha256("\n".join(sorted(map(repr, rows))).encode()).hexdigest()
        for folder, rows in parquet_rows(root).items()
    }


def row_differences(left: Path, right: Path, rel_tol: float = 1e-9) -> list[str]:
    """How two zones differ, row by row in any order: every column equal, except floats, which
    must agree to ``rel_tol`` (sums of partial results in a different order round differently).
    An empty list when they hold the same rows."""
    lefts, rights = parquet_rows(left), parquet_rows(right)
    out = [f"only in {left}: {f}" for f in sorted(set(lefts) - set(rights))]
    out += [f"only in {right}: {f}" for f in sorted(set(rights) - set(lefts))]
    for folder in sorted(set(lefts) & set(rights)):
        a, b = sorted(lefts[folder], key=_order), sorted(rights[folder], key=_order)
        unequal = [(x, y) for x, y in zip(a, b, strict=False) if not _same_row(x, y, rel_tol)]
        if len(a) != len(b) or unequal:
            first = f"; first: {unequal[0][0]} vs {unequal[0][1]}" if unequal else ""
            out.append(f"{folder}: {len(a)} vs {len(b)} rows, {len(unequal)} unequal{first}")
    return out


def _order(row: dict) -> tuple[str, str]:
    exact = {k: v for k, v in row.items() if not isinstance(v, float)}
    rounded = {k: f"{v:.6g}" for k, v in row.items() if isinstance(v, float)}
    return repr(sorted(exact.items())), repr(sorted(rounded.items()))


def _same_row(x: dict, y: dict, rel_tol: float) -> bool:
    if x.keys() != y.keys():
        return False
    return all(_same_value(x[k], y[k], rel_tol) for k in x)


def _same_value(a, b, rel_tol: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(
            a, b, rel_tol=rel_tol, abs_tol=rel_tol * 1e-3
        )
    return a == b
