"""
# alliance_key_rotation

Rotates the pseudonym key behind `person_key` without losing joins.

Before triggering: put the new key in the `alliance_pseudonym_key` connection (password) with a
new `version` in its extra. The run then:

1. re-keys the clean zone, the curated tables and the restricted identity map with Spark
   (`jobs/rekey.py`, restartable), recording the old-to-new mapping in the restricted zone;
2. updates every warehouse mart that holds `person_key` (and `key_version`) in one transaction.

Manual only (no schedule); the nightly run refuses to mix key versions until this has run.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from alliance_pipeline import assets
from alliance_pipeline.dag_policy import Tag, default_args
from alliance_pipeline.tasks import key_rotation


@dag(
    dag_id="alliance_key_rotation",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    default_args=default_args(),
    tags=[Tag.PRIVACY, Tag.MAINTENANCE, Tag.SPARK],
    doc_md=__doc__,
)
def alliance_key_rotation():
    @task(multiple_outputs=False, pool="spark", outlets=assets.CLEAN)
    def rotate() -> dict:
        """Re-keys the clean zone, curated tables and identity map (Spark), then every mart holding `person_key`, in one transaction."""
        return key_rotation.rotate_pseudonym_key()

    rotate()


alliance_key_rotation()
