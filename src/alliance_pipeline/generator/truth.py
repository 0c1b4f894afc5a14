"""Ground truth of a run: what tests and benchmarks can assert against. Keys and counts only,
never an identifier of a person; written to a local file, never to the landing bucket."""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from alliance_pipeline.generator.people import GROUPS
from alliance_pipeline.generator.world import World


@dataclass
class Truth:
    seed: int
    persons: int
    dates: list[str]
    sources: list[str]
    behaviour_groups: int
    group_names: list[str]
    group_sizes: list[int]
    persons_per_source: dict[str, int]
    persons_in_any_source: int
    overlap: dict[str, int]  # "a|b" (a < b) -> persons known to both by the end of the window
    deliveries: list[dict] = field(default_factory=list)  # source, dataset, dt, rows, files
    defects: list[dict] = field(default_factory=list)  # source, dataset, dt, kind, level, keys
    late_events_max_seconds: int = 3600
    # the refund after the close (refund_after_close): source, order_id, campaign_id, ordered_dt,
    # period (of the order), dt (of the refund's delivery), currency, refund_minor
    refund_after_close: dict | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def write(self, path: Path | str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(self.to_json(), encoding="utf-8")

    def pair(self, a: str, b: str) -> int:
        return self.overlap["|".join(sorted((a, b)))]


def truth_of(world: World) -> Truth:
    """The world-level facts; deliveries and defects are appended as they are produced."""
    end = world.window.end_us
    known = {}
    for sid, m in world.members.items():
        known[sid] = np.zeros(world.cfg.persons, dtype=bool)
        known[sid][m.person[m.registered_us < end]] = True
    ids = sorted(known)
    return Truth(
        seed=world.cfg.seed,
        persons=world.cfg.persons,
        dates=[d.isoformat() for d in world.dates],
        sources=[s.id for s in world.sources],
        behaviour_groups=len(GROUPS),
        group_names=[g.name for g in GROUPS],
        group_sizes=np.bincount(world.persons.group, minlength=len(GROUPS)).tolist(),
        persons_per_source={sid: int(known[sid].sum()) for sid in ids},
        persons_in_any_source=int(np.logical_or.reduce(list(known.values())).sum()),
        overlap={
            f"{a}|{b}": int((known[a] & known[b]).sum()) for a, b in itertools.combinations(ids, 2)
        },
        refund_after_close=world.refund_after_close,
    )
