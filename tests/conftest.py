"""Shared test kit. Each fixture module under tests/fixtures/ owns one real component."""

import os
import tempfile
from pathlib import Path

import pytest

from alliance_pipeline.local.airflow_home import local_airflow_environ, migrate_metadata_db
from tests.fixtures.spark import SHORT_LIVED_JVM_OPTIONS

# Airflow reads its configuration when first imported: point it at a throwaway home, the
# project's dags/plugins and the committed connections file before any test imports it.
AIRFLOW_TEST_HOME = Path(tempfile.mkdtemp(prefix="alliance-airflow-"))
os.environ.update(local_airflow_environ(AIRFLOW_TEST_HOME))
os.environ["ALLIANCE_PIPELINE_CONFIG"] = str(Path(__file__).with_name("pipeline.yml"))
os.environ["JAVA_TOOL_OPTIONS"] = SHORT_LIVED_JVM_OPTIONS

pytest_plugins = [
    "tests.fixtures.s3",  # seaweedfs_s3: a real S3 server for the session
    "tests.fixtures.postgres",  # pg_dsn: WAREHOUSE_TEST_DSN or a throwaway PostgreSQL
    "tests.fixtures.spark",  # spark: one local SparkSession for the session
    "tests.fixtures.smtp",  # smtp_sink: a loopback SMTP server keeping the mails it gets
    "tests.fixtures.bad_inputs.lake",  # reference_lake, lake_with_refs: for bad-input cases
]


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty lake root for one test."""
    root = tmp_path / "lake"
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(root))
    return root


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """An Airflow metadata database (SQLite) for dag.test() runs."""
    migrate_metadata_db(os.environ)
    return AIRFLOW_TEST_HOME


# Every test carries exactly one tier, the tier of its folder, and runs under a timeout: the
# tier's unless the test sets its own (pytest.mark.timeout).
TIERS = {"unit": 120, "dags": 120, "integration": 600, "e2e": 1200}
TIER_FOLDERS = {"unit": {"unit"}, "dags": {"dags"}, "integration": {"integration", "e2e"}}


def pytest_collection_modifyitems(config, items):
    wrong = []
    for item in items:
        tiers = {m.name for m in item.iter_markers() if m.name in TIERS}
        folder = Path(str(item.path)).parent.name
        if len(tiers) != 1 or not tiers <= TIER_FOLDERS.get(folder, set()):
            wrong.append(f"{item.nodeid}: tiers {sorted(tiers) or 'none'} in tests/{folder}/")
            continue
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TIERS[tiers.pop()]))
    if wrong:
        raise pytest.UsageError(
            "each test needs exactly one tier marker matching its folder "
            f"({', '.join(TIERS)}):\n" + "\n".join(wrong)
        )


def pytest_report_header(config):
    return f"WAREHOUSE_TEST_DSN={'set' if os.environ.get('WAREHOUSE_TEST_DSN') else 'unset'}"
