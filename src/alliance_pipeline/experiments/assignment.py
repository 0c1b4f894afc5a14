"""Which variant a person is in: deterministic and stateless.

The rule: ``h`` = the first 32 bits of SHA-256 over ``"{salt}:{person_key}"`` (the first 8 hex
characters, as an unsigned integer); the variants, in declared order, own consecutive ranges
of [0, 2^32) in proportion to their weights (:func:`boundaries`, integers, so every engine
cuts at the same place). The same person is in the same variant every night, on every machine,
and in every engine: :func:`variant_of` (Python), :func:`spark_variant` (the recommendation
job) and :func:`sql_variant` (the readout's DuckDB check of the delivered exposures) are this
one rule, and a test holds them equal.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right

from alliance_pipeline.experiments.registry import Experiment

SPACE = 2**32


def boundaries(experiment: Experiment) -> list[int]:
    """The exclusive upper end of each variant's range (the last is 2^32)."""
    out, total = [], 0.0
    for v in experiment.variants:
        total += v.weight
        out.append(min(SPACE, round(total * SPACE)))
    out[-1] = SPACE
    return out


def bucket(person_key: str, salt: str) -> int:
    """The person's point in [0, 2^32) for this salt."""
    return int(hashlib.sha256(f"{salt}:{person_key}".encode()).hexdigest()[:8], 16)


def variant_of(person_key: str, experiment: Experiment) -> str:
    i = bisect_right(boundaries(experiment), bucket(person_key, experiment.salt))
    return experiment.variants[i].id


def spark_variant(person_key, experiment: Experiment):
    """The same rule as a Spark column over the column ``person_key``."""
    from pyspark.sql import functions as F

    digest = F.sha2(F.concat(F.lit(f"{experiment.salt}:"), person_key), 256)
    h = F.conv(F.substring(digest, 1, 8), 16, 10).cast("long")
    ids = [v.id for v in experiment.variants]
    out = F.lit(ids[-1])
    for upper, vid in reversed(list(zip(boundaries(experiment)[:-1], ids[:-1], strict=True))):
        out = F.when(h < F.lit(upper), F.lit(vid)).otherwise(out)
    return out


def sql_variant(person_key_sql: str, experiment: Experiment) -> str:
    """The same rule as a DuckDB SQL expression over ``person_key_sql``."""
    salt = experiment.salt.replace("'", "''")
    h = f"CAST(('0x' || substr(sha256('{salt}:' || {person_key_sql}), 1, 8)) AS UBIGINT)"
    ids = [v.id for v in experiment.variants]
    whens = " ".join(
        f"WHEN {h} < {upper} THEN '{vid}'"
        for upper, vid in zip(boundaries(experiment)[:-1], ids[:-1], strict=True)
    )
    return f"(CASE {whens} ELSE '{ids[-1]}' END)"
