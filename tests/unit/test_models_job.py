"""jobs/models.py: the night's model stages in one Spark application (its arguments only; the
stages themselves run in tests/integration/test_nightly_dag.py)."""

import importlib.util

import pytest

from alliance_pipeline.settings import JOBS_DIR

pytestmark = pytest.mark.unit


def load_job():
    spec = importlib.util.spec_from_file_location("models_job", JOBS_DIR / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_stage_by_default_in_the_dags_order():
    job = load_job()
    args = job.parse_args(["--dt", "2026-11-23", "--lake-root", "/lake"])
    assert args.stages == ("features", "segment", "recommend", "propensity")


def test_a_subset_of_stages_and_an_unknown_one_refused():
    job = load_job()
    base = ["--dt", "2026-11-23", "--lake-root", "/lake"]
    assert job.parse_args([*base, "--stages", "recommend,segment"]).stages == (
        "recommend",
        "segment",
    )
    with pytest.raises(SystemExit):
        job.parse_args([*base, "--stages", "segment,ranking"])


def test_each_stage_is_a_job_beside_it():
    job = load_job()
    for name in job.STAGES:
        assert callable(job.stage_job(name).main), name
