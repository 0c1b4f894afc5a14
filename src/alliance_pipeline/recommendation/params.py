"""The ``recommendation:`` section of config/pipeline.yml as one typed object."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, fields

from alliance_pipeline.settings import pipeline_config

# view < play < complete < favorite/share < purchase
DEFAULT_WEIGHTS = {
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


@dataclass(frozen=True)
class RecParams:
    lookback_days: int = 90
    holdout_days: int = 7
    event_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    rank: int = 32
    reg_param: float = 0.05
    alpha: float = 10.0
    max_iter: int = 10
    seed: int = 42
    checkpoint_interval: int = 5
    blocks: int = 4
    k: int = 10
    top_n: int = 10
    candidate_pool: int = 100
    cross_brand_share: float = 0.3
    min_history: int = 3

    @classmethod
    def from_config(cls, section: dict | None = None, **overrides) -> RecParams:
        raw = dict(pipeline_config("recommendation") if section is None else section)
        raw.update(overrides)
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"recommendation config: unknown keys {sorted(unknown)}")
        params = cls(**raw)
        params.check()
        return params

    def check(self) -> None:
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
