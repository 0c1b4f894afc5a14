"""The pipeline's parameters: one typed model per section of ``config/pipeline.yml``.

The defaults are the models' (the committed YAML states the same values and what each means);
a key the models do not know is an error naming it. :func:`pipeline_config` reads the file on
first use, never at import, so DAG parsing does no I/O. To run with other values, build a section
directly (``SegmentationConfig(k_max=5)``) or :meth:`Section.override` one.
"""

from __future__ import annotations

import itertools
import os
from functools import cache
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from alliance_pipeline import settings


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def override(self, **changes) -> Self:
        """This section with ``changes``, validated like the file (unknown keys are an error)."""
        return self.model_validate({**self.model_dump(), **changes})


class PrivacyConfig(Section):
    min_cell_size: int = 5
    deidentify_job: str = "deidentify.py"
    rekey_job: str = "rekey.py"


class TuningConfig(Section):
    """The validation grid of :mod:`alliance_pipeline.recommendation.tuning`."""

    every_days: int = 7
    validation_days: PositiveInt = 1
    ranks: list[PositiveInt] = [10, 32]
    reg_params: list[float] = [0.01, 0.1]
    alphas: list[float] = [1.0, 10.0]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.every_days < 0:
            raise ValueError("recommendation.tuning.every_days must be 0 (never) or more")
        if not (self.ranks and self.reg_params and self.alphas):
            raise ValueError(
                "recommendation.tuning: ranks, reg_params and alphas need a value each"
            )
        if min(self.reg_params) < 0 or min(self.alphas) <= 0:
            raise ValueError("recommendation.tuning: reg_params >= 0 and alphas > 0")
        return self


class RecommendationConfig(Section):
    lookback_days: int = 90
    holdout_days: int = 1
    event_weights: dict[str, float] = {
        "view": 1.0,
        "click": 1.0,
        "progress": 1.5,
        "like": 2.0,
        "play": 2.0,
        "complete": 4.0,
        "favorite": 6.0,
        "share": 6.0,
        "purchase": 10.0,
    }
    rank: int = 4
    reg_param: float = 0.1
    alpha: float = 1.0
    max_iter: int = 10
    seed: int = 42
    checkpoint_interval: int = 5
    k: int = 10
    top_n: int = 10
    candidate_pool: int = 100
    cross_brand_share: float = 0.3
    min_history: int = 3
    tuning: TuningConfig = TuningConfig()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        w = self.event_weights
        order = ["view", "play", "complete", "favorite", "purchase"]
        if any(w[a] >= w[b] for a, b in itertools.pairwise(order)):
            raise ValueError(
                "recommendation.event_weights must rise view < play < complete < favorite < purchase"
            )
        if not 0 <= self.cross_brand_share <= 1:
            raise ValueError("recommendation.cross_brand_share must be within [0, 1]")
        if self.holdout_days >= self.lookback_days:
            raise ValueError("recommendation.holdout_days must be shorter than lookback_days")
        if self.holdout_days + self.tuning.validation_days >= self.lookback_days:
            raise ValueError(
                "recommendation: holdout_days + tuning.validation_days must be shorter than"
                " lookback_days"
            )
        return self


class PropensityConfig(Section):
    lookback_days: int = 56
    label_days: int = 7
    candidates: tuple[Literal["logistic_regression", "gbt"], ...] = ("logistic_regression", "gbt")
    reg_param: float = 0.01
    max_iter: int = 100
    gbt_max_iter: int = 30
    gbt_max_depth: int = 4
    seed: int = 42
    min_positives: int = 5

    @property
    def history_days(self) -> int:
        """Days of history behind each cut-off's features."""
        return self.lookback_days - 2 * self.label_days

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.label_days < 1 or self.history_days < 1:
            raise ValueError(
                "propensity.lookback_days must exceed 2 x label_days (label_days >= 1)"
            )
        if not self.candidates:
            raise ValueError("propensity.candidates must name at least one model")
        return self


class RowCountBand(Section):
    trailing_nights: int = 7
    min_history_nights: int = 3
    lower: float = 0.3
    upper: float = 3.0
    slack_rows: int = 5


class ValidationConfig(Section):
    late_tolerance_hours: int = 72
    early_tolerance_minutes: int = 10
    max_bad_row_share: float = 0.05
    min_bad_rows: int = 3
    row_count_band: RowCountBand = RowCountBand()
    min_rows: int = 0
    data_docs: bool = True
    chunk_rows: PositiveInt = 200_000


class SegmentationConfig(Section):
    lookback_days: int = 90
    k_min: int = 3
    k_max: int = 8
    seed: int = 42
    restarts: PositiveInt = 10
    max_iter: PositiveInt = 50
    scan_sample: PositiveInt = 10_000
    stability_splits: PositiveInt = 12
    match_max_distance: float = 1.5
    pca_sample: int = 2000
    # k and centres carry over from the night before (warm start); k is re-chosen when the
    # scan's clustering beats the kept one's silhouette by more than the margin, or when k was
    # last chosen this many days ago
    rechoose_k_margin: float = 0.05
    rechoose_k_every_days: PositiveInt = 28

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not 2 <= self.k_min <= self.k_max:
            raise ValueError("segmentation: need 2 <= k_min <= k_max")
        if self.rechoose_k_margin < 0:
            raise ValueError("segmentation.rechoose_k_margin must be >= 0")
        return self


class SettlementConfig(Section):
    time_decay_half_life_days: int = 7
    # how an order touched by several partners' campaigns is shared between the partners
    # (alliance_pipeline.settlement.attribution.CROSS_PARTNER_RULES)
    cross_partner_rule: Literal["latest_partner", "by_touches", "equal"] = "latest_partner"
    # what computes order nets and credits: duckdb (set-based SQL) or python (order by order,
    # the exact oracle); both give identical statements
    engine: Literal["duckdb", "python"] = "duckdb"
    # DuckDB's memory in the duckdb engine; past it, its joins spill to a temporary folder
    # (unbounded, its range join of a million orders took 6 GB more at the reference scale)
    duckdb_memory_limit: str = "2GB"


class AlertsConfig(Section):
    # the platform's on-call address: every alert goes there, a delivery's also to its source's
    # registry alert_contact
    on_call: str = "data-oncall@alliance.example"
    from_email: str = "alliance-airflow@alliance.example"
    # Airflow connections; a channel is used only when its connection exists
    email_conn_id: str = "smtp_alerts"
    slack_conn_id: str = "slack_alerts"


class AudiencesConfig(Section):
    # a campaign targets the segments whose mean predicted response is at least this multiple of
    # the campaign's mean over all its eligible persons
    min_segment_lift: float = Field(1.0, gt=0)
    # upper edges of the predicted-rate bands written in the audience files
    rate_bands: list[float] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    # objectives ranked by the predicted click rate; all others by the predicted order rate
    click_objectives: list[str] = ["awareness"]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        bands = self.rate_bands
        if not bands or bands != sorted(set(bands)) or bands[0] <= 0 or bands[-1] >= 1:
            raise ValueError("rate_bands must be increasing rates between 0 and 1")
        return self


class PipelineConfig(Section):
    privacy: PrivacyConfig = PrivacyConfig()
    recommendation: RecommendationConfig = RecommendationConfig()
    propensity: PropensityConfig = PropensityConfig()
    validation: ValidationConfig = ValidationConfig()
    segmentation: SegmentationConfig = SegmentationConfig()
    settlement: SettlementConfig = SettlementConfig()
    alerts: AlertsConfig = AlertsConfig()
    audiences: AudiencesConfig = AudiencesConfig()

    @classmethod
    def from_yaml(cls, path: Path) -> PipelineConfig:
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def config_file() -> Path:
    """``ALLIANCE_PIPELINE_CONFIG`` if set, else ``settings.CONFIG_DIR / "pipeline.yml"``."""
    return Path(os.environ.get("ALLIANCE_PIPELINE_CONFIG", settings.CONFIG_DIR / "pipeline.yml"))


@cache
def pipeline_config() -> PipelineConfig:
    """The parameters of :func:`config_file`, read once."""
    return PipelineConfig.from_yaml(config_file())
