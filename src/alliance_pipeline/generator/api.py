"""The generator's Python API (re-exported by the package; see its docstring)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alliance_pipeline.generator import defects as defect_plan
from alliance_pipeline.generator import tables
from alliance_pipeline.generator.config import GeneratorConfig
from alliance_pipeline.generator.truth import Truth, truth_of
from alliance_pipeline.generator.world import World, build_world
from alliance_pipeline.generator.writer import Delivery, write_landing


@dataclass
class Generated:
    world: World
    deliveries: list[Delivery]
    truth: Truth


def stream(cfg: GeneratorConfig, world: World | None = None) -> tuple[Truth, Iterator[Delivery]]:
    """The truth (its deliveries and defects fill as the iterator runs) and the deliveries."""
    world = world or build_world(cfg)
    truth = truth_of(world)
    return truth, _deliveries(world, truth)


def generate(cfg: GeneratorConfig) -> Generated:
    world = build_world(cfg)
    truth, items = stream(cfg, world)
    return Generated(world, list(items), truth)


def run_to(
    cfg: GeneratorConfig, s3_client=None, bucket=None, out_dir=None, truth_path=None
) -> Truth:
    """Generate and write every delivery; the truth goes to ``truth_path`` (local) if given."""
    truth, items = stream(cfg)
    for _ in write_landing(items, s3_client, bucket, out_dir, cfg.rows_per_part):
        pass
    if truth_path:
        truth.write(Path(truth_path))
    return truth


def _deliveries(world: World, truth: Truth) -> Iterator[Delivery]:
    plan = defect_plan.plan(world.sources) if world.cfg.defects else None
    last = len(world.dates) - 1
    for k, date in enumerate(world.dates):
        for src in world.sources:
            for name in src.datasets:
                d = Delivery(src, name, date.isoformat(), tables.BUILDERS[name](world, src.id, k))
                if plan is not None and k == last:
                    _damage(d, plan, world)
                for rec in d.defects:
                    truth.defects.append({"source": src.id, "dataset": name, "dt": d.dt, **rec})
                truth.deliveries.append(
                    {
                        "source": src.id,
                        "dataset": name,
                        "dt": d.dt,
                        "rows": d.table.num_rows,
                        "files": max(1, -(-d.table.num_rows // world.cfg.rows_per_part)),
                    }
                )
                yield d


def _damage(d: Delivery, plan: defect_plan.Plan, world: World) -> None:
    from alliance_pipeline.contracts import dataset

    rows = plan.rows.get((d.source.id, d.dataset))
    if rows:
        d.table, records = defect_plan.apply_row_defects(
            d.table, d.dataset, rows, dataset(d.dataset).key, world.profiles[d.source.id].id_prefix
        )
        d.defects.extend(records)
    kind = plan.batch.get((d.source.id, d.dataset))
    if kind:
        d.batch_defect = kind
        rec = {"kind": kind, "level": "batch", "keys": [], "rows": d.table.num_rows}
        if kind == "missing_required_column":
            rec["column"] = defect_plan.MISSING_COLUMN[d.dataset]
        d.defects.append(rec)
