"""The recommender's inputs straight from a generator world (no landing, no de-identification):
events, orders, catalog, persons and segments as the clean and curated zones hold them.

A person's key is their true identity (what de-identification recovers), their home source the
first source that knows them (the platform first), their consent the consent of every source
that knows them, their segment their planted behaviour group (what segmentation finds again).
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from alliance_pipeline.contracts import EVENT_TYPES, ORDER_STATUSES
from alliance_pipeline.generator.api import GeneratorConfig
from alliance_pipeline.generator.world import build_world


def _utc(us: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(us, unit="us", utc=True))


def world_frames(persons: int, days: int, end: datetime.date, seed: int = 7) -> dict:
    world = build_world(GeneratorConfig(persons=persons, days=days, end_date=end, seed=seed))
    content = np.array(world.catalog.content_id.to_pylist(), dtype=object)
    key = np.array([f"p{i:08d}" for i in range(world.persons.n)], dtype=object)
    events, orders = [], []
    home = np.full(world.persons.n, None, dtype=object)
    consent = np.ones(world.persons.n, dtype=bool)
    for src in world.sources:
        m, ev, o = world.members[src.id], world.events[src.id], world.orders[src.id]
        unset = pd.isna(home[m.person])
        home[m.person[unset]] = src.id
        consent[m.person] &= m.consent
        events.append(
            pd.DataFrame(
                {
                    "person_key": key[m.person[ev.member]],
                    "content_id": content[ev.content],
                    "event_type": np.array(EVENT_TYPES, dtype=object)[ev.etype],
                    "event_at": _utc(ev.at_us),
                }
            )
        )
        orders.append(
            pd.DataFrame(
                {
                    "source": src.id,
                    "order_id": [f"{src.id}-{n}" for n in o.order_no],
                    "person_key": key[m.person[o.member]],
                    "content_id": content[o.content],
                    "status": np.array(ORDER_STATUSES, dtype=object)[o.status],
                    "ordered_at": _utc(o.ordered_us),
                    "updated_at": _utc(o.updated_us),
                    "dt": [world.dates[n] for n in o.night],
                }
            )
        )
    known = pd.notna(home)
    return {
        "events": pd.concat(events, ignore_index=True),
        "orders": pd.concat(orders, ignore_index=True),
        "catalog": pd.DataFrame(
            {
                "content_id": content,
                "owner_source": world.catalog.owner.astype(object),
                "co_brand_partners": world.catalog.co_brand.to_pylist(),
            }
        ),
        "persons": pd.DataFrame(
            {
                "person_key": key[known],
                "home_source": home[known],
                "marketing_consent": consent[known],
            }
        ),
        "segments": pd.DataFrame(
            {"person_key": key[known], "segment_id": world.persons.group[known].astype(np.int32)}
        ),
    }
