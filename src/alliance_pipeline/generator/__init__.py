"""Sample partner data generator: realistic, deterministic nightly drops for every source.

Python API (tests and benchmarks)::

    from alliance_pipeline.generator import GeneratorConfig, generate, write_landing
    run = generate(GeneratorConfig(persons=2000, days=2, end_date=date(2026, 11, 23), seed=7,
                                   defects=False))
    run.deliveries      # list[Delivery]: source (registry Source), dataset, dt, typed pa.Table
    run.truth           # Truth: overlap, persons per source, groups, defects, rows per delivery
    list(write_landing(run.deliveries, out_dir=tmp))            # or s3_client=..., bucket=...

For big runs, ``stream(cfg)`` yields deliveries one by one (the truth fills as they go), and
``run_to(cfg, ...)`` writes them and returns the truth: that is what the CLI does.

Layout: ``<landing_prefix>/<dataset>/dt=YYYY-MM-DD/part-00000.<csv|jsonl|parquet>`` then
``_manifest.json`` last. Every source delivers every dataset of its registry entry every night
(empty deliveries too). Timestamps fall inside their Asia/Shanghai night, except late events
(at most one hour before the night starts, delivered the next night). Users: everybody on the
first night, then new and changed users. Orders: re-delivered on the night of a refund or
chargeback (same order_id, later updated_at). Platform snapshots (campaigns, catalog,
contracts) are full every night; fx_rates holds the night's date.

Planted structure: ``people.GROUPS`` (4 behaviour groups with their spend, watch time,
completion and category preferences); each person is known to a random subset of sources
(the truth's ``overlap``) with a single mobile, e-mail and resident id, spelled per source.

Defects (``defects=True``): see ``defects.BATCH_DEFECTS`` and ``defects.ROW_DEFECTS``; all land
on the last night and are listed in ``truth.defects``. Without the flag the data is clean.

Refund after the close (``refund_after_close=True``): see ``refunds``; the last night
re-delivers an earlier month's order as refunded, recorded in ``truth.refund_after_close``.
"""

from alliance_pipeline.generator.api import Generated, generate, run_to, stream
from alliance_pipeline.generator.config import GeneratorConfig
from alliance_pipeline.generator.truth import Truth
from alliance_pipeline.generator.writer import Delivery, Encoded, encode, write_landing

__all__ = [
    "Delivery",
    "Encoded",
    "Generated",
    "GeneratorConfig",
    "Truth",
    "encode",
    "generate",
    "run_to",
    "stream",
    "write_landing",
]
