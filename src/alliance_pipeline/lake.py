"""Paths of one partition in each zone of the lake (see settings.ZONES)."""

from __future__ import annotations

from pathlib import Path

from alliance_pipeline.settings import zone


def raw_partition(source: str, dataset: str, dt: str) -> Path:
    """Exact copy of the current delivery: part files plus ``_manifest.json``."""
    return zone("raw") / source / dataset / f"dt={dt}"


def superseded_partition(source: str, dataset: str, dt: str, digest: str) -> Path:
    """Where an earlier delivery of the same date is kept when a corrected one arrives."""
    return zone("raw") / source / dataset / "_superseded" / f"dt={dt}" / digest[:16]


def validated_partition(source: str, dataset: str, dt: str) -> Path:
    """Rows that passed validation, typed by the contract, still with personal data."""
    return zone("validated") / dataset / f"dt={dt}" / f"source={source}"


def quarantine_partition(source: str, dataset: str, dt: str) -> Path:
    return zone("quarantine") / source / dataset / f"dt={dt}"
