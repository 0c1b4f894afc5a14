"""The source registry (config/sources.yml, or the file ``ALLIANCE_SOURCES`` names): who
delivers what, in which format and encoding."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from alliance_pipeline.contracts import DATASETS
from alliance_pipeline.settings import CONFIG_DIR

FORMATS = ("csv", "jsonl", "parquet")
ENCODINGS = ("utf-8", "gbk")
KINDS = ("platform", "partner")
STORE_KEYS = ("landing_conn_id", "landing_bucket", "outbound_conn_id", "outbound_bucket")


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    kind: str
    landing_prefix: str
    datasets: tuple[str, ...]
    format: str
    encoding: str
    timezone: str
    alert_contact: str
    active: bool
    outbound_prefix: str | None = None
    # Where the source drops and where its files go back: an Airflow S3 connection and a bucket
    # each; unset, the pipeline's (settings.S3_CONN_ID and settings.landing_bucket()).
    landing_conn_id: str | None = None
    landing_bucket: str | None = None
    outbound_conn_id: str | None = None
    outbound_bucket: str | None = None

    def landing_key(self, dataset: str, dt: str, filename: str = "") -> str:
        """S3 key of a file of one delivery (or its prefix when ``filename`` is empty)."""
        return f"{self.landing_prefix}/{dataset}/dt={dt}/{filename}"


class RegistryError(ValueError):
    pass


def registry_path() -> Path:
    """``ALLIANCE_SOURCES`` if set, else ``settings.CONFIG_DIR / "sources.yml"``."""
    return Path(os.environ.get("ALLIANCE_SOURCES", CONFIG_DIR / "sources.yml"))


def load_sources(path: Path | str | None = None) -> list[Source]:
    """Every source of the registry, validated; raises RegistryError naming the bad entry."""
    path = Path(path) if path else registry_path()
    return list(_sources(path, path.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=8)
def _sources(path: Path, text: str) -> tuple[Source, ...]:
    """The registry's sources, parsed once per text (a task asks many times)."""
    raw = yaml.safe_load(text)
    sources = [_parse(entry, path) for entry in raw["sources"]]
    ids = [s.id for s in sources]
    if len(ids) != len(set(ids)):
        raise RegistryError(f"{path}: duplicate source ids in {ids}")
    if [s for s in sources if s.kind == "platform"].__len__() != 1:
        raise RegistryError(f"{path}: exactly one source must be of kind platform")
    return tuple(sources)


def active_sources(path: Path | str | None = None) -> list[Source]:
    return [s for s in load_sources(path) if s.active]


def source(source_id: str, path: Path | str | None = None) -> Source:
    for s in load_sources(path):
        if s.id == source_id:
            return s
    raise RegistryError(f"unknown source {source_id!r}")


def platform_source(path: Path | str | None = None) -> Source:
    return next(s for s in load_sources(path) if s.kind == "platform")


def _parse(entry: dict, path: Path) -> Source:
    where = f"{path}: source {entry.get('id', '?')!r}"
    try:
        src = Source(
            id=entry["id"],
            name=entry["name"],
            kind=entry["kind"],
            landing_prefix=entry["landing_prefix"].strip("/"),
            datasets=tuple(entry["datasets"]),
            format=entry["format"],
            encoding=entry.get("encoding", "utf-8"),
            timezone=entry.get("timezone", "Asia/Shanghai"),
            alert_contact=entry["alert_contact"],
            active=bool(entry.get("active", True)),
            outbound_prefix=(entry.get("outbound_prefix") or "").strip("/") or None,
            **{key: entry[key] for key in STORE_KEYS if entry.get(key)},
        )
    except KeyError as missing:
        raise RegistryError(f"{where}: missing field {missing}") from None
    if src.kind not in KINDS:
        raise RegistryError(f"{where}: kind must be one of {KINDS}")
    if src.format not in FORMATS:
        raise RegistryError(f"{where}: format must be one of {FORMATS}")
    if src.encoding not in ENCODINGS:
        raise RegistryError(f"{where}: encoding must be one of {ENCODINGS}")
    for name in src.datasets:
        if name not in DATASETS:
            raise RegistryError(f"{where}: unknown dataset {name!r}")
        if src.kind not in DATASETS[name].delivered_by:
            raise RegistryError(f"{where}: a {src.kind} does not deliver {name}")
    if src.kind == "partner" and not src.outbound_prefix:
        raise RegistryError(f"{where}: a partner needs an outbound_prefix")
    return src
