"""Publishing de-identification results to the warehouse, through the minimum-cell check."""

from __future__ import annotations

import datetime
from collections import Counter
from itertools import combinations
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from alliance_pipeline.lake import paths
from alliance_pipeline.privacy.min_cell import (
    assert_counts_publishable,
    min_cell_size,
    suppress_small_counts,
)

OVERLAP_TABLE = "mart.partner_overlap"


def partner_overlap(sources: pd.Series, k: int | None = None) -> pd.DataFrame:
    """Persons shared by each pair of sources, small pairs folded into a summary row.

    ``sources``: the person dimension's ';'-joined source ids, one entry per person. Every pair
    of sources that appears is listed (0 when nobody is shared).
    """
    combos = sources.value_counts()
    seen = sorted({s for combo in combos.index for s in combo.split(";")})
    pairs: Counter[tuple[str, str]] = Counter({p: 0 for p in combinations(seen, 2)})
    for combo, n in combos.items():
        for pair in combinations(sorted(combo.split(";")), 2):
            pairs[pair] += int(n)
    df = pd.DataFrame(
        [(a, b, n) for (a, b), n in sorted(pairs.items())],
        columns=["source_a", "source_b", "persons"],
    )
    return suppress_small_counts(df, "persons", ["source_a", "source_b"], k)


def publish_identity(wh, dt: str, lake_root: str | Path, k: int | None = None) -> int:
    """Load ``mart.partner_overlap`` for ``dt`` from ``curated/persons/dt={dt}/``.

    One transaction replacing the ``dt`` partition; refuses to publish a cell below k.
    Returns the number of rows loaded.
    """
    k = min_cell_size() if k is None else k
    persons = paths.partition(paths.PERSONS, lake_root, dt=dt)
    sources = pq.read_table(persons, columns=["sources"]).column(0)
    overlap = partner_overlap(sources.to_pandas(), k)
    assert_counts_publishable(overlap, "persons", OVERLAP_TABLE, k)
    overlap.insert(0, "dt", datetime.date.fromisoformat(dt))
    return wh.replace_partition(OVERLAP_TABLE, {"dt": datetime.date.fromisoformat(dt)}, overlap)
