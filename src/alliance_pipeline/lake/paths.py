"""Where everything is in the lake: every zone's datasets and partitions, built here only.

A dataset is named by its folder under the lake root (``curated/persons``); a partition is the
``key=value`` folders below it. The root is a local folder (a Path, by default
``settings.lake_root()``: the Airflow tasks) or a URI (a str such as ``s3a://bucket/lake``: the
Spark jobs); paths come back in the root's type. raw, quarantine, validated and identity hold
personal data (restricted, never read by BI); clean, curated and reports do not.

Reading and writing: :mod:`.spark_io` (Spark jobs) and :mod:`.arrow_io` (tasks without Spark).
This module imports neither pyspark nor pyarrow.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from alliance_pipeline.settings import lake_root

Root = TypeVar("Root", Path, str)

PERSON_MAP = "identity/person_map"
REKEY = "identity/rekey"
PERSONS = "curated/persons"
FEATURES = "curated/features"
PERSON_SEGMENT = "curated/person_segment"
SEGMENT_CENTROIDS = "curated/segment_centroids"
SEGMENT_PROFILE = "curated/segment_profile"
REC_INDEX = "curated/rec_index"
RECOMMENDATIONS = "curated/recommendations"
MODEL_EVALUATION = "curated/model_evaluation"
# the recommender's hyper-parameters: a tuning night's grid, other nights the choice they used
REC_TUNING = "curated/rec_tuning"
CHECKPOINTS = "curated/_checkpoints"
# conversion propensity (jobs/propensity.py): scores per (person, running campaign), the models
# that passed the gate, the holdout evaluation and its reliability deciles
PROPENSITY_SCORES = "curated/propensity_scores"
PROPENSITY_MODEL = "curated/propensity_model"
PROPENSITY_EVALUATION = "curated/propensity_evaluation"
PROPENSITY_CALIBRATION = "curated/propensity_calibration"
# what a recommendation night carries to the next: the latest version of every order
REC_ORDER_STATE = "curated/rec_order_state"
# what a settlement night carries to the next (settlement.carry)
SETTLEMENT_FIRST_ORDERS = "curated/settlement_first_orders"
SETTLEMENT_NEW_PERSONS = "curated/settlement_new_persons"
# the audiences built from the propensity scores (marketing.campaign_audience)
CAMPAIGN_AUDIENCE = "curated/campaign_audience"
SEGMENT_REPORTS = "reports/segments"
EXPERIMENT_REPORTS = "reports/experiments"
DQ_REPORTS = "reports/dq"
DATA_DOCS = "reports/data_docs"
ALERTS = "reports/alerts"


def raw(source: str, dataset: str) -> str:
    """Exact copies of the current deliveries: part files plus ``_manifest.json``."""
    return f"raw/{source}/{dataset}"


def quarantine(source: str, dataset: str) -> str:
    return f"quarantine/{source}/{dataset}"


def validated(dataset: str) -> str:
    """Rows that passed validation, typed by the contract, still with personal data."""
    return f"validated/{dataset}"


def clean(dataset: str) -> str:
    """De-identified rows (``contracts.clean_columns``), partitioned by dt then source."""
    return f"clean/{dataset}"


def at(folder: Root, *names: str) -> Root:
    """``names`` below ``folder``, in its type (a URI keeps its ``//``)."""
    if isinstance(folder, Path):
        return folder.joinpath(*names)
    return "/".join([folder.rstrip("/"), *names])


def path(dataset: str, root: Path | str | None = None) -> Path | str:
    return at(lake_root() if root is None else root, dataset)


def partition(dataset: str, root: Path | str | None = None, **keys: object) -> Path | str:
    """``{root}/{dataset}/k1=v1/k2=v2`` (``keys`` in folder order)."""
    return at(path(dataset, root), *(f"{k}={v}" for k, v in keys.items()))


def raw_partition(source: str, dataset: str, dt: str, root: Path | str | None = None):
    return partition(raw(source, dataset), root, dt=dt)


def superseded_partition(
    source: str, dataset: str, dt: str, digest: str, root: Path | str | None = None
):
    """Where an earlier delivery of the same date is kept when a corrected one arrives."""
    return at(path(raw(source, dataset), root), "_superseded", f"dt={dt}", digest[:16])


def validated_partition(source: str, dataset: str, dt: str, root: Path | str | None = None):
    return partition(validated(dataset), root, dt=dt, source=source)


def quarantine_partition(source: str, dataset: str, dt: str, root: Path | str | None = None):
    return partition(quarantine(source, dataset), root, dt=dt)
