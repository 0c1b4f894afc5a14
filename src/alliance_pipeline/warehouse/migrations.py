"""Versioned schema migrations: ``migrations/NNN_name.sql`` plus optional dialect steps.

``NNN_name.sql`` is one SQL text for both dialects; ``NNN_name.postgres.sql`` or
``NNN_name.duckdb.sql`` run after it (or alone) on that dialect only. Each version is applied in
its own transaction and recorded in ``ops.schema_migrations`` with a checksum of what ran; an
applied file that changed afterwards is an error, never silently re-run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alliance_pipeline.settings import MIGRATIONS_DIR
from alliance_pipeline.warehouse.sql import WarehouseError

DIALECTS = ("duckdb", "postgres")
_FILE = re.compile(
    r"^(?P<version>\d{3})_(?P<name>[a-z0-9_]+?)(?:\.(?P<dialect>duckdb|postgres))?\.sql$"
)

BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);
"""


class MigrationError(WarehouseError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    files: tuple[Path, ...]  # what runs on this dialect, in order

    @property
    def label(self) -> str:
        return f"{self.version:03d}_{self.name}"

    @property
    def sql(self) -> str:
        return "\n".join(f.read_text(encoding="utf-8") for f in self.files)

    @property
    def checksum(self) -> str:
        digest = hashlib.sha256()
        for f in self.files:
            digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
        return digest.hexdigest()


def discover(directory: Path | str, dialect: str) -> list[Migration]:
    """The migrations of a folder that have something to run on ``dialect``, by version."""
    if dialect not in DIALECTS:
        raise MigrationError(f"unknown dialect {dialect!r}")
    found: dict[int, dict] = {}
    for path in sorted(Path(directory).glob("*.sql")):
        m = _FILE.match(path.name)
        if not m:
            raise MigrationError(
                f"{path.name}: migration files are NNN_name[.duckdb|.postgres].sql"
            )
        version = int(m["version"])
        entry = found.setdefault(version, {"name": m["name"], "files": {}})
        if entry["name"] != m["name"]:
            raise MigrationError(f"{path.name}: version {version:03d} is already {entry['name']}")
        entry["files"][m["dialect"]] = path
    migrations = []
    for version in sorted(found):
        files = found[version]["files"]
        chosen = tuple(f for f in (files.get(None), files.get(dialect)) if f is not None)
        if chosen:
            migrations.append(Migration(version, found[version]["name"], chosen))
    return migrations


def migrate(wh, directory: Path | str | None = None) -> list[str]:
    """Apply what is pending, in version order; returns the labels applied (empty: up to date)."""
    available = discover(directory or MIGRATIONS_DIR, wh.dialect)
    with wh.migration_lock():
        with wh.transaction() as tx:
            tx.execute(BOOTSTRAP)
            applied = {
                v: (name, checksum)
                for v, name, checksum in tx.query(
                    "SELECT version, name, checksum FROM ops.schema_migrations"
                )
            }
        _check_applied(available, applied)
        done = []
        for m in available:
            if m.version in applied:
                continue
            with wh.transaction() as tx:
                tx.execute(m.sql)
                tx.execute(
                    "INSERT INTO ops.schema_migrations (version, name, checksum, applied_at)"
                    " VALUES (?, ?, ?, ?)",
                    [m.version, m.name, m.checksum, datetime.now(UTC)],
                )
            done.append(m.label)
        return done


def _check_applied(available: list[Migration], applied: dict[int, tuple[str, str]]) -> None:
    by_version = {m.version: m for m in available}
    for version, (name, checksum) in sorted(applied.items()):
        m = by_version.get(version)
        if m is None:
            raise MigrationError(f"applied migration {version:03d}_{name} has no file any more")
        if (m.name, m.checksum) != (name, checksum):
            raise MigrationError(
                f"migration {m.label} changed after it was applied; add a new migration instead"
            )
