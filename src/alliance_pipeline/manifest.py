"""The delivery manifest: ``_manifest.json``, written last, marks a partition complete.

``{"source", "dataset", "dt", "schema_version", "files": [{"key", "rows", "sha256"}]}``
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

MANIFEST_NAME = "_manifest.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ManifestFile:
    key: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    source: str
    dataset: str
    dt: str
    schema_version: int
    files: tuple[ManifestFile, ...]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def to_json(self) -> str:
        body = asdict(self)
        body["files"] = [asdict(f) for f in self.files]
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    @property
    def digest(self) -> str:
        """Identifies one delivery: a corrected re-delivery has another digest."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()


class ManifestError(ValueError):
    pass


def parse_manifest(
    text: bytes | str, *, source: str, dataset: str, dt: str, prefix: str
) -> Manifest:
    """Parse and check a manifest against the partition it was found in.

    Raises ManifestError naming source, dataset, dt and the broken rule.
    """
    where = f"source={source} dataset={dataset} dt={dt}"
    try:
        body = json.loads(text)
        files = tuple(
            ManifestFile(key=str(f["key"]), rows=int(f["rows"]), sha256=str(f["sha256"]).lower())
            for f in body["files"]
        )
        manifest = Manifest(
            source=str(body["source"]),
            dataset=str(body["dataset"]),
            dt=str(body["dt"]),
            schema_version=int(body["schema_version"]),
            files=files,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(f"{where}: unreadable manifest ({type(exc).__name__}: {exc})") from None
    if (manifest.source, manifest.dataset, manifest.dt) != (source, dataset, dt):
        raise ManifestError(
            f"{where}: manifest describes source={manifest.source} "
            f"dataset={manifest.dataset} dt={manifest.dt}"
        )
    if manifest.schema_version != SCHEMA_VERSION:
        raise ManifestError(
            f"{where}: schema_version {manifest.schema_version} is not {SCHEMA_VERSION}"
        )
    for f in manifest.files:
        if not f.key.startswith(prefix) or f.key.endswith(MANIFEST_NAME):
            raise ManifestError(
                f"{where}: file key {f.key!r} is outside the partition prefix {prefix!r}"
            )
        if any(part in ("", ".", "..") for part in f.key[len(prefix) :].split("/")):
            raise ManifestError(
                f"{where}: file key {f.key!r} has an empty, '.' or '..' path segment"
            )
        if len(f.sha256) != 64 or f.rows < 0:
            raise ManifestError(f"{where}: bad checksum or row count for {f.key!r}")
    if len({f.key for f in manifest.files}) != len(manifest.files):
        raise ManifestError(f"{where}: a file is listed twice")
    names: dict[str, str] = {}
    for f in manifest.files:
        earlier = names.setdefault(file_name(f.key), f.key)
        if earlier != f.key:
            raise ManifestError(
                f"{where}: file keys {earlier!r} and {f.key!r} share the file name "
                f"{file_name(f.key)!r} (the raw zone keeps one folder per delivery)"
            )
    return manifest


def file_name(key: str) -> str:
    """A part file's name in the raw zone: the last segment of its landing key."""
    return key.rsplit("/", 1)[-1]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
