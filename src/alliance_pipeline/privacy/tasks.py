"""Task-time entry points that submit the de-identification Spark jobs with the pseudonym key.

The key is read from the Airflow connection at task time and handed to spark-submit as
environment variables (SparkSubmitHook ``env_vars``), so it never appears in a command line,
a rendered template field, XCom or a log. Use these from a ``@task`` instead of a templated
SparkSubmitOperator ``env_vars`` (whose rendered value would be stored with the task instance).
"""

from __future__ import annotations

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.privacy.pseudonym import key_env, pseudonym_key_from_airflow
from alliance_pipeline.settings import JOBS_DIR, SPARK_CONN_ID
from alliance_pipeline.spark_session import SUBMIT_CONF


def submit_spec(script: str, application_args: list[str]) -> dict:
    """Arguments for SparkSubmitHook/SparkSubmitOperator of ``jobs/<script>``, without the key."""
    return {
        "application": str(JOBS_DIR / script),
        "application_args": application_args,
        "conf": dict(SUBMIT_CONF),
    }


def _submit(script: str, application_args: list[str], name: str, conn_id: str) -> None:
    from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook

    spec = submit_spec(script, application_args)
    hook = SparkSubmitHook(
        conn_id=conn_id,
        conf=spec["conf"],
        name=name,
        application_args=spec["application_args"],
        env_vars=key_env(pseudonym_key_from_airflow()),
    )
    hook.submit(application=spec["application"])


def run_deidentify(dt: str, lake_root: str, conn_id: str = SPARK_CONN_ID) -> None:
    """spark-submit jobs/deidentify.py --dt dt --lake-root lake_root with the key in env."""
    script = pipeline_config().privacy.deidentify_job
    _submit(script, ["--dt", dt, "--lake-root", str(lake_root)], f"deidentify-{dt}", conn_id)


def run_rekey(lake_root: str, conn_id: str = SPARK_CONN_ID) -> None:
    """spark-submit jobs/rekey.py with the (rotated) key of the connection in env."""
    _submit(pipeline_config().privacy.rekey_job, ["--lake-root", str(lake_root)], "rekey", conn_id)
