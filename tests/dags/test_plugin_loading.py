"""What every Airflow process pays at start-up: the plugins folder holds only the Airflow
plugin, and parsing a DAG file imports neither Spark nor the project's tooling."""

import json
import subprocess
import sys
import textwrap

import pytest

import alliance_pipeline
from alliance_pipeline.settings import PROJECT_ROOT

pytestmark = pytest.mark.dags

PACKAGE_DIR = str(alliance_pipeline.__path__[0])
HEAVY = ("pyspark", "scipy", "sklearn", "great_expectations")
TOOLING = ("alliance_pipeline.generator", "alliance_pipeline.local")

PROBE = textwrap.dedent(
    """
    import importlib.util, json, pathlib, sys
    from airflow import plugins_manager

    def loaded(prefixes):
        return sorted(n for n in sys.modules if n.split(".")[0] in prefixes or n.startswith(prefixes))

    plugins_manager.ensure_plugins_loaded()
    from airflow.plugins_manager import get_plugin_info
    report = {"plugins": [p["name"] for p in get_plugin_info()]}
    package_dir, heavy, tooling = sys.argv[1], tuple(sys.argv[2].split(",")), tuple(sys.argv[3].split(","))
    report["bare"] = sorted(
        name for name, module in list(sys.modules.items())
        if not name.startswith("alliance_pipeline")
        and str(getattr(module, "__file__", None) or "").startswith(package_dir)
    )
    report["heavy_after_plugins"] = loaded(heavy)
    for path in sorted(pathlib.Path(sys.argv[4]).glob("*.py")):
        spec = importlib.util.spec_from_file_location("dag_file_" + path.stem, path)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    report["heavy_after_dags"] = loaded(heavy)
    report["tooling_after_dags"] = loaded(tooling)
    print(json.dumps(report))
    """
)


@pytest.fixture(scope="module")
def report() -> dict:
    """A fresh interpreter: load Airflow's plugins, then import every DAG file."""
    args = [PACKAGE_DIR, ",".join(HEAVY), ",".join(TOOLING), str(PROJECT_ROOT / "dags")]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_plugins_folder_loads_only_the_airflow_plugin(report):
    assert "alliance_data_quality" in report["plugins"]
    assert report["bare"] == []  # no module of the package under a bare name (publish, config, ...)
    assert report["heavy_after_plugins"] == []


def test_parsing_the_dag_files_imports_no_spark_and_no_tooling(report):
    assert report["heavy_after_dags"] == []
    assert report["tooling_after_dags"] == []
