"""The session of the de-identification Spark jobs (their lake I/O is
:mod:`alliance_pipeline.lake.spark_io`)."""

from __future__ import annotations


def session(app_name: str):
    """The job session: UTC clock, dynamic partition overwrite, key literals redacted in plans."""
    from alliance_pipeline.privacy.deid import PLAN_REDACTION_REGEX
    from alliance_pipeline.spark_session import job_session

    return job_session(app_name, {"spark.sql.redaction.string.regex": PLAN_REDACTION_REGEX})
