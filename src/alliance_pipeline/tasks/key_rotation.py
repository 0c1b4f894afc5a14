"""The task callable of alliance_key_rotation (the DAG file only wires it)."""

from __future__ import annotations


def rotate_pseudonym_key() -> dict:
    """Re-key the clean zone and identity map (Spark), then every mart holding person_key."""
    from alliance_pipeline.privacy.pseudonym import pseudonym_key_from_airflow
    from alliance_pipeline.privacy.rekey import rekey_warehouse
    from alliance_pipeline.privacy.tasks import run_rekey
    from alliance_pipeline.settings import lake_root
    from alliance_pipeline.warehouse import warehouse_from_airflow

    run_rekey(str(lake_root()))
    version = pseudonym_key_from_airflow().version
    return rekey_warehouse(warehouse_from_airflow(), lake_root(), version)
