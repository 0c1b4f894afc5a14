"""Key rotation: re-key the identity map, every lake partition holding person_key, and the
warehouse, without losing a join.

Order (each step restartable; see jobs/rekey.py):
    1. the mapping old person_key -> new person_key is computed from the latest identity map
       (new key = HMAC of the stored identifier under the new key) and written to
       ``identity/rekey/key_version={new}/`` before anything changes; a rerun reuses it;
    2. every partition of clean/ and curated/ with a person_key column is rewritten through the
       mapping (a row already re-keyed keeps its key: the mapping is applied with a left join);
    3. every identity map snapshot is re-keyed from its identifiers;
    4. :func:`rekey_warehouse` applies the same mapping to every mart table with a person_key.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.lake import paths
from alliance_pipeline.privacy.deid import hmac_sha256_hex
from alliance_pipeline.privacy.pseudonym import PseudonymKey

REKEY_TABLE = "ops.person_key_rekey"


def rekeyed_map(identity_map: DataFrame, key: PseudonymKey) -> DataFrame:
    return identity_map.withColumn(
        "person_key", hmac_sha256_hex(F.col("identifier"), key)
    ).withColumn("key_version", F.lit(key.version))


def key_mapping(identity_map: DataFrame, key: PseudonymKey) -> DataFrame:
    """old_person_key -> new_person_key, new_key_version (no personal data)."""
    return identity_map.select(
        F.col("person_key").alias("old_person_key"),
        hmac_sha256_hex(F.col("identifier"), key).alias("new_person_key"),
        F.lit(key.version).alias("new_key_version"),
    ).distinct()


def apply_mapping(df: DataFrame, mapping: DataFrame) -> DataFrame:
    """``df`` with person_key (and key_version, when present) moved to the new key."""
    m = mapping.withColumnRenamed("old_person_key", "person_key")
    joined = df.join(m, "person_key", "left")
    hit = F.col("new_person_key").isNotNull()
    out = joined.withColumn("person_key", F.coalesce("new_person_key", "person_key"))
    if "key_version" in df.columns:
        out = out.withColumn(
            "key_version", F.when(hit, F.col("new_key_version")).otherwise(F.col("key_version"))
        )
    return out.select(*df.columns)


def rekey_warehouse(wh, lake_root: str | Path, version: str, schema: str = "mart") -> dict:
    """Apply the rotation to ``version`` to every ``schema`` table with a person_key column.

    One transaction: loads the mapping into ops.person_key_rekey, updates each table. Returns
    {table: rows updated}.
    """
    mapping = pq.read_table(paths.partition(paths.REKEY, lake_root, key_version=version))
    rows = wh.query(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND column_name IN ('person_key', 'key_version')",
        [schema],
    )
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    done = {}
    with wh.transaction() as tx:
        tx.replace_table(
            REKEY_TABLE, mapping.select(["old_person_key", "new_person_key", "new_key_version"])
        )
        for table, columns in sorted(tables.items()):
            if "person_key" not in columns:
                continue
            sets = ["person_key = r.new_person_key"]
            if "key_version" in columns:
                sets.append("key_version = r.new_key_version")
            tx.execute(
                f'UPDATE {schema}."{table}" AS t SET {", ".join(sets)} '
                f"FROM {REKEY_TABLE} AS r WHERE t.person_key = r.old_person_key"
            )
            done[f"{schema}.{table}"] = len(mapping)
    return done
