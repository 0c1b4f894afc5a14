"""Generator parameters, and each source's own habits derived from its id (no code per source)."""

from __future__ import annotations

import datetime
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from alliance_pipeline.generator.identifiers import MOBILE_FORMATS
from alliance_pipeline.registry import Source, active_sources


@dataclass(frozen=True)
class GeneratorConfig:
    persons: int = 10_000
    days: int = 1
    end_date: datetime.date = datetime.date(2026, 11, 23)
    seed: int = 7
    sources: tuple[str, ...] | None = None  # None: every active source of the registry
    defects: bool = False
    refund_after_close: bool = False  # the last night refunds an order of an earlier month
    registry: Path | str | None = None  # None: config/sources.yml
    events_per_person_day: float = 0.22
    orders_per_person_day: float = 0.011
    rows_per_part: int = 500_000
    behaviour_groups: int = 4
    experiments: Path | str | None = None  # None: config/experiments.yml
    exposure_share: float = 0.5  # platform members exposed to each running experiment
    planted_lift: float = 0.08  # more orders after exposure in each experiment's first treatment
    campaign_response: float = (
        1.0  # scale of the planted campaign clicks (generator.responses); 0: none
    )

    @property
    def dates(self) -> list[datetime.date]:
        return [
            self.end_date - datetime.timedelta(days=self.days - 1 - i) for i in range(self.days)
        ]

    def load_sources(self) -> list[Source]:
        sources = active_sources(self.registry)
        if self.sources is None:
            return sources
        by_id = {s.id: s for s in sources}
        unknown = [s for s in self.sources if s not in by_id]
        if unknown:
            raise ValueError(f"unknown or inactive sources {unknown}; active: {list(by_id)}")
        return [s for s in sources if s.id in self.sources]


@dataclass(frozen=True)
class SourceProfile:
    """The habits of one source: who is a member, how it spells identifiers, how active it is."""

    source: Source
    index: int
    membership: float
    id_prefix: str
    id_digits: int
    mobile_style_p: np.ndarray = field(repr=False)
    full_width_p: float
    email_upper_p: float
    email_title_p: float
    email_pad_p: float
    email_missing_p: float
    id_card_missing_p: float
    id_card_lower_x: bool
    activity: float
    foreign_currency_p: float
    device_p: np.ndarray = field(repr=False)
    channel_p: np.ndarray = field(repr=False)


def source_rng(seed: int, source_id: str, purpose: str) -> np.random.Generator:
    """A generator stable for (seed, source, purpose) whatever other sources exist."""
    return np.random.default_rng(
        [seed, zlib.crc32(source_id.encode()), zlib.crc32(purpose.encode())]
    )


def profile(seed: int, source: Source, index: int) -> SourceProfile:
    rng = source_rng(seed, source.id, "profile")
    platform = source.kind == "platform"
    styles = rng.dirichlet(np.full(len(MOBILE_FORMATS), 0.6))
    letters = "".join(ch for ch in source.id.upper() if ch.isalpha()) or "SRC"
    return SourceProfile(
        source=source,
        index=index,
        membership=0.7 if platform else float(rng.uniform(0.12, 0.3)),
        id_prefix="U" if platform else f"{letters[:2]}{'-' if rng.random() < 0.5 else ''}",
        id_digits=9 if platform else int(rng.integers(7, 11)),
        mobile_style_p=styles,
        full_width_p=float(rng.choice([0.0, 0.003, 0.01])),
        email_upper_p=float(rng.uniform(0, 0.1)),
        email_title_p=float(rng.uniform(0, 0.2)),
        email_pad_p=float(rng.choice([0.0, 0.02, 0.05])),
        email_missing_p=float(rng.uniform(0.05, 0.3)),
        id_card_missing_p=0.3 if platform else float(rng.uniform(0.3, 0.9)),
        id_card_lower_x=bool(rng.random() < 0.4),
        activity=1.0 if platform else float(rng.uniform(0.5, 1.2)),
        foreign_currency_p=float(rng.uniform(0.02, 0.12)),
        device_p=rng.dirichlet(np.array([4.0, 5.0, 2.0, 3.0])),
        channel_p=(
            np.array([0.5, 0.3, 0.2, 0.0])
            if platform
            else rng.dirichlet(np.array([2.0, 1.0, 1.0, 4.0]))
        ),
    )
