"""The experiment registry (``config/experiments.yml``, or the file ``ALLIANCE_EXPERIMENTS``
names): what each experiment tests, its variants and weights, dates and metrics.

A wrong entry is an error naming the file, the experiment and the rule; nothing is guessed.
"""

from __future__ import annotations

import datetime
import itertools
import math
import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alliance_pipeline.experiments.metrics import METRICS
from alliance_pipeline.settings import CONFIG_DIR

KINDS = ("recommendation", "campaign")
RECOMMENDATION_CHANGES = {"strategy", "cross_brand_share", "candidate_pool"}
STRATEGIES = ("als", "popularity")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class ExperimentRegistryError(ValueError):
    pass


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    weight: float = Field(gt=0, le=1)
    control: bool = False
    changes: dict = {}


class Experiment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: Literal["recommendation", "campaign"]
    hypothesis: str
    salt: str = Field(min_length=8)
    start_date: datetime.date
    end_date: datetime.date
    variants: tuple[Variant, ...]
    primary_metric: str
    guardrail_metrics: tuple[str, ...] = ()
    minimum_detectable_effect: float = Field(gt=0, lt=10)
    pre_period_days: int = Field(default=28, ge=0, le=365)
    power: float = Field(default=0.8, gt=0, lt=1)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        if not _ID.match(self.id):
            raise ValueError("id must be lower-case letters, digits and _ (a letter first)")
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        ids = [v.id for v in self.variants]
        if len(ids) < 2 or len(set(ids)) != len(ids):
            raise ValueError(f"needs two or more variants with distinct ids, has {ids}")
        if any(not _ID.match(i) for i in ids):
            raise ValueError("variant ids must be lower-case letters, digits and _")
        if sum(v.control for v in self.variants) != 1:
            raise ValueError("exactly one variant must be the control (control: true)")
        if not math.isclose(sum(v.weight for v in self.variants), 1.0, abs_tol=1e-9):
            raise ValueError("variant weights must sum to 1")
        for name in (self.primary_metric, *self.guardrail_metrics):
            if name not in METRICS:
                raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
        if self.kind == "recommendation":
            for v in self.variants:
                _check_recommendation_changes(v)
        return self

    @property
    def control(self) -> Variant:
        return next(v for v in self.variants if v.control)

    def weights(self) -> dict[str, float]:
        return {v.id: v.weight for v in self.variants}

    def running_on(self, day: datetime.date) -> bool:
        return self.start_date <= day <= self.end_date

    def metric_role(self, metric: str) -> str:
        if metric == self.primary_metric:
            return "primary"
        return "guardrail" if metric in self.guardrail_metrics else "secondary"


def _check_recommendation_changes(v: Variant) -> None:
    unknown = set(v.changes) - RECOMMENDATION_CHANGES
    if unknown:
        raise ValueError(
            f"variant {v.id}: unknown recommendation change(s) {sorted(unknown)}; "
            f"known: {sorted(RECOMMENDATION_CHANGES)}"
        )
    if v.changes.get("strategy", "als") not in STRATEGIES:
        raise ValueError(f"variant {v.id}: strategy must be one of {STRATEGIES}")
    share = v.changes.get("cross_brand_share", 0)
    if not (isinstance(share, int | float) and 0 <= share <= 1):
        raise ValueError(f"variant {v.id}: cross_brand_share must be within [0, 1]")
    pool = v.changes.get("candidate_pool", 1)
    if not (isinstance(pool, int) and pool >= 1):
        raise ValueError(f"variant {v.id}: candidate_pool must be a positive integer")


def experiments_path() -> Path:
    """``ALLIANCE_EXPERIMENTS`` if set, else ``settings.CONFIG_DIR / "experiments.yml"``."""
    return Path(os.environ.get("ALLIANCE_EXPERIMENTS", CONFIG_DIR / "experiments.yml"))


def load_experiments(path: Path | str | None = None) -> list[Experiment]:
    """Every experiment of the registry, validated; raises ExperimentRegistryError naming the
    file, the experiment and what is wrong."""
    path = Path(path) if path else experiments_path()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = raw.get("experiments") or []
    if not isinstance(entries, list):
        raise ExperimentRegistryError(f"{path}: experiments must be a list")
    out = [parse_experiment(entry, path) for entry in entries]
    ids = [e.id for e in out]
    salts = [e.salt for e in out]
    if len(set(ids)) != len(ids):
        raise ExperimentRegistryError(f"{path}: duplicate experiment ids in {ids}")
    if len(set(salts)) != len(salts):
        raise ExperimentRegistryError(f"{path}: two experiments share a salt (assignments would)")
    recs = sorted((e.start_date, e.end_date, e.id) for e in out if e.kind == "recommendation")
    for (_, end, a), (start, _, b) in itertools.pairwise(recs):
        if start <= end:
            raise ExperimentRegistryError(
                f"{path}: recommendation experiments {a!r} and {b!r} overlap in time "
                "(a person's lists can follow one experiment only)"
            )
    return out


def parse_experiment(entry: dict, path: Path | str = "<registry>") -> Experiment:
    where = f"{path}: experiment {entry.get('id', '?') if isinstance(entry, dict) else '?'!r}"
    try:
        return Experiment.model_validate(entry)
    except ValidationError as exc:
        rules = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors()
        )
        raise ExperimentRegistryError(f"{where}: {rules}") from None


def running(day: datetime.date, path: Path | str | None = None) -> list[Experiment]:
    """The experiments whose dates include ``day``."""
    return [e for e in load_experiments(path) if e.running_on(day)]
