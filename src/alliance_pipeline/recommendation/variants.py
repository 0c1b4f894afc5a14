"""The lists of a recommendation experiment's variants (config/experiments.yml).

A person in a variant that changes something (``strategy`` als or popularity,
``cross_brand_share``, ``candidate_pool``) gets the lists scored with that change; everyone
else keeps the night's lists. Who is in which variant is the experiments' one assignment rule
(:func:`alliance_pipeline.experiments.assignment.spark_variant`), so the readout, the app and
these lists agree without storing any assignment.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.experiments.assignment import spark_variant
from alliance_pipeline.experiments.registry import Experiment, running

VARIANT = "_variant"
# persons of one variant, the variant's changes -> their lists (the night's scoring, changed)
Rescore = Callable[[DataFrame, dict], DataFrame]


def running_experiment(day: datetime.date, registry=None) -> Experiment | None:
    """The recommendation experiment running on ``day`` (the registry allows one at a time)."""
    found = [e for e in running(day, registry) if e.kind == "recommendation"]
    return found[0] if found else None


def with_variants(
    recs: DataFrame, persons: DataFrame, experiment: Experiment | None, rescore: Rescore
) -> DataFrame:
    """``recs`` with the persons of each changing variant given that variant's lists."""
    changing = [v for v in (experiment.variants if experiment else ()) if v.changes]
    if not changing:
        return recs
    tagged = persons.withColumn(VARIANT, spark_variant(F.col("person_key"), experiment))
    moved = tagged.where(F.col(VARIANT).isin([v.id for v in changing])).select("person_key")
    out = recs.join(moved, "person_key", "left_anti")
    for v in changing:
        who = tagged.where(F.col(VARIANT) == v.id).drop(VARIANT)
        out = out.unionByName(rescore(who, v.changes).select(*recs.columns))
    return out
