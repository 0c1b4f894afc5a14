"""The simulated world behind one generator run: persons, sources, platform data, activity."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from alliance_pipeline.experiments.registry import Experiment, load_experiments
from alliance_pipeline.generator import activity as act
from alliance_pipeline.generator import experiments as exps
from alliance_pipeline.generator import platform_data as pdata
from alliance_pipeline.generator import responses
from alliance_pipeline.generator.config import GeneratorConfig, SourceProfile, profile, source_rng
from alliance_pipeline.generator.people import (
    Members,
    Persons,
    make_members,
    make_persons,
    membership_masks,
)
from alliance_pipeline.generator.refunds import plant_refund_after_close
from alliance_pipeline.registry import Source


@dataclass
class World:
    cfg: GeneratorConfig
    sources: list[Source]
    profiles: dict[str, SourceProfile]
    persons: Persons
    members: dict[str, Members]
    window: act.Window
    catalog: pdata.Catalog
    campaigns: pdata.Campaigns
    contracts: list[dict]
    fx: dict[str, np.ndarray]
    events: dict[str, act.Events]
    orders: dict[str, act.Orders]
    delivery: dict[str, act.Delivery]
    experiments: list[Experiment]
    exposures: exps.Exposures  # the platform's
    refund_after_close: dict | None = None  # the planted refund (generator.refunds), if any

    @property
    def dates(self) -> list[datetime.date]:
        return self.cfg.dates

    @property
    def platform_id(self) -> str:
        kinds = [s.id for s in self.sources if s.kind == "platform"]
        return kinds[0] if kinds else "platform"


def build_world(cfg: GeneratorConfig) -> World:
    sources = cfg.load_sources()
    if not sources:
        raise ValueError("no source selected")
    # the platform first: persons known nowhere else are the platform's
    sources = sorted(sources, key=lambda s: s.kind != "platform")
    profiles = [profile(cfg.seed, s, i) for i, s in enumerate(sources)]
    first = cfg.dates[0]
    window = act.Window(pdata.day_number(first), cfg.days)
    persons = make_persons(
        np.random.default_rng([cfg.seed, 1]), cfg.persons, pdata.day_number(cfg.end_date)
    )
    masks = membership_masks(cfg.seed, profiles, cfg.persons)
    members = {
        p.source.id: make_members(cfg.seed, p, persons, masks[i], window.start_us, cfg.days)
        for i, p in enumerate(profiles)
    }
    partners = [s for s in sources if s.kind == "partner"]
    shared = np.random.default_rng([cfg.seed, 2])
    platform_id = next((s.id for s in sources if s.kind == "platform"), "platform")
    catalog = pdata.make_catalog(
        shared, cfg.persons, platform_id, [s.id for s in partners], window.start_us
    )
    campaigns = pdata.make_campaigns(shared, [s.id for s in partners], first, cfg.end_date)
    fx = pdata.fx_micro(shared, cfg.days)
    per_member = masks.sum() / max(cfg.persons, 1)
    events, orders, delivery = {}, {}, {}
    for p in profiles:
        rng = source_rng(cfg.seed, p.source.id, "activity")
        events[p.source.id], orders[p.source.id] = act.simulate(
            rng,
            members[p.source.id],
            persons,
            catalog,
            campaigns,
            window,
            fx,
            cfg.events_per_person_day / per_member,
            cfg.orders_per_person_day / per_member,
        )
        delivery[p.source.id] = act.campaign_delivery(rng, campaigns, p.source.id, window)
        if p.source.kind == "partner":
            events[p.source.id], orders[p.source.id] = responses.respond(
                source_rng(cfg.seed, p.source.id, "responses"),
                members[p.source.id],
                persons,
                catalog,
                campaigns,
                window,
                events[p.source.id],
                orders[p.source.id],
                cfg.campaign_response,
            )
    experiments = exps.in_window(load_experiments(cfg.experiments), cfg.dates)
    exposures = exps.no_exposures()
    if platform_id in members:
        m = members[platform_id]
        exposures = exps.draw_exposures(
            source_rng(cfg.seed, platform_id, "exposures"),
            m,
            window,
            experiments,
            cfg.exposure_share,
            exps.development_key(),
        )
        orders[platform_id] = exps.plant(
            source_rng(cfg.seed, platform_id, "planted"),
            orders[platform_id],
            exposures,
            experiments,
            m.n,
            cfg.planted_lift,
            window,
        )
    contracts = pdata.contracts_rows(partners, cfg.end_date)
    planted = None
    if cfg.refund_after_close:
        orders, planted = plant_refund_after_close(
            cfg.seed,
            sources,
            orders,
            campaigns,
            contracts,
            window,
            {p.source.id: p.id_prefix for p in profiles},
        )
    return World(
        cfg=cfg,
        sources=sources,
        profiles={p.source.id: p for p in profiles},
        persons=persons,
        members=members,
        window=window,
        catalog=catalog,
        campaigns=campaigns,
        contracts=contracts,
        fx=fx,
        events=events,
        orders=orders,
        delivery=delivery,
        experiments=experiments,
        exposures=exposures,
        refund_after_close=planted,
    )
