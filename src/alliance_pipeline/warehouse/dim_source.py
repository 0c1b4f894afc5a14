"""mart.dim_source from the source registry.

The registry's alert contact is left out: company mailboxes are not personal data, but the BI
mart has no use for them and keeping addresses out of it is the simpler rule.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from alliance_pipeline.registry import Source, load_sources


def dim_source_table(sources: Iterable[Source]) -> pa.Table:
    rows = sorted(sources, key=lambda s: s.id)
    return pa.table(
        {
            "source_id": [s.id for s in rows],
            "name": [s.name for s in rows],
            "kind": [s.kind for s in rows],
            "format": [s.format for s in rows],
            "encoding": [s.encoding for s in rows],
            "timezone": [s.timezone for s in rows],
            "active": pa.array([s.active for s in rows], pa.bool_()),
        }
    )


def publish_dim_source(wh, sources: Iterable[Source] | None = None) -> int:
    """Replace mart.dim_source with the registry (``load_sources()`` unless given); rows loaded."""
    return wh.replace_table("mart.dim_source", dim_source_table(sources or load_sources()))
