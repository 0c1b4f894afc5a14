"""Every DAG imports, is one we expect, and follows the team's DAG policy."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from alliance_pipeline.dag_policy import OWNER, Tag
from alliance_pipeline.settings import PROJECT_ROOT

pytestmark = pytest.mark.dags

DAGS_FOLDER = PROJECT_ROOT / "dags"
EXPECTED_DAG_IDS = {
    "alliance_nightly",
    "alliance_monthly_close",
    "alliance_key_rotation",
    "alliance_night_watch",
}
# Deliberately not retried: a sensor has its own timeout; summarise reports the data's verdict.
NO_RETRY = {"wait_for_manifest", "summarise"}


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_exactly_the_expected_dags(dagbag):
    assert set(dagbag.dag_ids) == EXPECTED_DAG_IDS


def test_dag_policy(dagbag):
    vocabulary = {t.value for t in Tag}
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags and set(dag.tags) <= vocabulary, dag_id
        assert dag.doc_md and len(dag.doc_md) > 200, dag_id
        assert dag.max_active_runs is not None, dag_id
        for task in dag.tasks:
            where = f"{dag_id}.{task.task_id}"
            assert task.owner == OWNER, where
            assert task.on_failure_callback, where
            assert task.doc_md and len(task.doc_md) > 30, where  # shown on the task in the UI
            if task.task_id.rsplit(".", 1)[-1] not in NO_RETRY:
                assert task.retries >= 1, where


def test_dags_do_not_import_each_other():
    names = {p.stem for p in DAGS_FOLDER.glob("*.py")}
    for path in DAGS_FOLDER.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for other in names - {path.stem}:
            assert f"import {other}" not in text and f"from {other}" not in text, path.name


@pytest.mark.parametrize("dag_file", sorted(DAGS_FOLDER.glob("*.py")), ids=lambda p: p.name)
def test_parsing_does_no_io(dag_file: Path):
    """Import the DAG file with an audit hook: no file of the project read but Python source,
    no socket opened, no subprocess started."""
    probe = textwrap.dedent(
        f"""
        import sys, importlib.util
        import airflow.sdk, alliance_pipeline.dag_policy  # warm the import machinery first
        import croniter  # its import runs `file` via platform.architecture()
        seen = []
        def hook(event, args):
            if event == "open" and isinstance(args[0], str):
                path = args[0]
                if path.startswith({str(PROJECT_ROOT)!r}) and not path.endswith((".py", ".pyc")) \\
                        and "/.venv/" not in path and "__pycache__" not in path:
                    seen.append(("open", path))
            elif event in ("socket.connect", "subprocess.Popen", "os.system"):
                seen.append((event, str(args[:1])))
        sys.addaudithook(hook)
        spec = importlib.util.spec_from_file_location("dag_under_test", {str(dag_file)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print("IO:", seen)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert "IO: []" in out, out


def test_spark_tasks_submit_with_the_one_spark_conf(dagbag):
    from alliance_pipeline.spark_session import SUBMIT_CONF

    submits = [
        t
        for dag in dagbag.dags.values()
        for t in dag.tasks
        if type(t).__name__ == "SparkSubmitOperator"
    ]
    assert submits
    assert all(t.conf == SUBMIT_CONF for t in submits)
