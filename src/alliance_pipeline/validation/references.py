"""Referential checks: which ids a fact row may point at.

Contracts declare ``references`` (column -> "dataset.column"). The known ids are the union of
every *validated* partition of the referenced dataset with dt <= dt, from the same source when
that source delivers the dataset (users), else from the platform (catalog, campaigns). So the
reference datasets of a night must be validated before the facts that point at them.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as pads

from alliance_pipeline.lake import paths
from alliance_pipeline.registry import Source, platform_source


def reference_source(source: Source, referenced: str) -> str:
    return source.id if referenced in source.datasets else platform_source().id


def known_ids(referenced: str, column: str, source_id: str, dt: str) -> set[str] | None:
    """Ids of ``referenced.column`` validated for ``source_id`` up to ``dt``; None if none yet."""
    base = paths.path(paths.validated(referenced))
    parts = sorted(
        p / f"source={source_id}"
        for p in base.glob("dt=*")
        if p.name[3:] <= dt and (p / f"source={source_id}").is_dir()
    )
    files = [str(f) for p in parts for f in Path(p).glob("*.parquet")]
    if not files:
        return None
    table = pads.dataset(files, format="parquet").to_table(columns=[column])
    return set(table.column(column).drop_null().to_pylist())
