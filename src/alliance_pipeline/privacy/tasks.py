"""Task-time entry points that submit the de-identification Spark jobs with the pseudonym key.

The key is read from the Airflow connection at task time and handed to spark-submit as
environment variables (SparkSubmitHook ``env_vars``), so it never appears in a command line,
a rendered template field, XCom or a log. Use these from a ``@task`` instead of a templated
SparkSubmitOperator ``env_vars`` (whose rendered value would be stored with the task instance).
"""

from __future__ import annotations

from alliance_pipeline.privacy.pseudonym import key_env, pseudonym_key_from_airflow
from alliance_pipeline.settings import JOBS_DIR, SPARK_CONN_ID, pipeline_config


def submit_spec(job: str, application_args: list[str]) -> dict:
    """Arguments for SparkSubmitHook/SparkSubmitOperator, without the key."""
    cfg = pipeline_config("privacy")
    return {
        "application": str(JOBS_DIR / cfg[job]),
        "application_args": application_args,
        "conf": {k: str(v) for k, v in cfg.get("spark_conf", {}).items()},
    }


def _submit(job: str, application_args: list[str], name: str, conn_id: str) -> None:
    from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook

    spec = submit_spec(job, application_args)
    hook = SparkSubmitHook(
        conn_id=conn_id,
        conf=spec["conf"],
        name=name,
        application_args=spec["application_args"],
        env_vars=key_env(pseudonym_key_from_airflow()),
    )
    hook.submit(application=spec["application"])


def run_deidentify(ds: str, lake_root: str, conn_id: str = SPARK_CONN_ID) -> None:
    """spark-submit jobs/deidentify.py --ds ds --lake-root lake_root with the key in env."""
    _submit(
        "deidentify_job", ["--ds", ds, "--lake-root", str(lake_root)], f"deidentify-{ds}", conn_id
    )


def run_rekey(lake_root: str, conn_id: str = SPARK_CONN_ID) -> None:
    """spark-submit jobs/rekey.py with the (rotated) key of the connection in env."""
    _submit("rekey_job", ["--lake-root", str(lake_root)], "rekey", conn_id)
