"""config/airflow-connections.json -> AIRFLOW_CONN_* / AIRFLOW_VAR_* (alliance_pipeline.airflow_env)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from alliance_pipeline import settings
from alliance_pipeline.airflow_env import airflow_env, expand

pytestmark = pytest.mark.unit

CONN_IDS = (
    settings.S3_CONN_ID,
    settings.WAREHOUSE_CONN_ID,
    settings.SPARK_CONN_ID,
    settings.PSEUDONYM_KEY_CONN_ID,
)


def conn(env: dict[str, str], conn_id: str) -> dict:
    return json.loads(env[f"AIRFLOW_CONN_{conn_id.upper()}"])


def test_committed_file_defines_every_connection_with_local_defaults():
    env = airflow_env({})

    assert {f"AIRFLOW_CONN_{c.upper()}" for c in CONN_IDS} <= set(env)
    assert conn(env, settings.S3_CONN_ID)["extra"]["endpoint_url"] == "http://127.0.0.1:8333"
    warehouse = conn(env, settings.WAREHOUSE_CONN_ID)
    assert warehouse == {
        "conn_type": "duckdb",
        "host": str(settings.PROJECT_ROOT / "var" / "warehouse.duckdb"),
    }
    key = conn(env, settings.PSEUDONYM_KEY_CONN_ID)
    assert key["password"].startswith("dev-only") and key["extra"] == {"version": "dev-1"}
    assert env["AIRFLOW_VAR_ALLIANCE_ENVIRONMENT"] == "local"


def test_environment_overrides_the_defaults():
    env = airflow_env(
        {
            "ALLIANCE_S3_ENDPOINT": "http://127.0.0.1:9999",
            "ALLIANCE_WAREHOUSE_PATH": "/tmp/w.duckdb",
            "ALLIANCE_SPARK_MASTER": "spark://127.0.0.1:7077",
        }
    )
    assert conn(env, settings.S3_CONN_ID)["extra"]["endpoint_url"] == "http://127.0.0.1:9999"
    assert conn(env, settings.WAREHOUSE_CONN_ID)["host"] == "/tmp/w.duckdb"
    assert conn(env, settings.SPARK_CONN_ID)["host"] == "spark://127.0.0.1:7077"


def test_airflow_reads_the_connections_as_written():
    from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook
    from airflow.sdk import Connection

    env = airflow_env({})
    s3 = Connection.from_json(env["AIRFLOW_CONN_ALLIANCE_S3"], conn_id=settings.S3_CONN_ID)
    assert (s3.conn_type, s3.login) == ("aws", "alliance-local")
    assert s3.extra_dejson["endpoint_url"] == "http://127.0.0.1:8333"
    key = Connection.from_json(
        env["AIRFLOW_CONN_ALLIANCE_PSEUDONYM_KEY"], conn_id=settings.PSEUDONYM_KEY_CONN_ID
    )
    assert key.extra_dejson["version"] == "dev-1"

    # The hook looks the connection up through Airflow's environment-variable secrets backend.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_SPARK_DEFAULT", env["AIRFLOW_CONN_SPARK_DEFAULT"])
        assert SparkSubmitHook(conn_id=settings.SPARK_CONN_ID)._connection["master"] == "local[2]"


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        ("${A}", {"A": "1"}, "1"),
        ("${A:-x}", {}, "x"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A}", {"A": ""}, ""),
        ("${A:-${B}/w}", {"B": "/b"}, "/b/w"),
        ("${A:-${B}/w}", {"A": "/a", "B": "/b"}, "/a"),
        ("p=${A}", {"A": "${B}"}, "p=${B}"),  # values are not rescanned
        ("$HOME and $ alone", {}, "$HOME and $ alone"),
    ],
)
def test_expand_like_a_shell(text, environ, expected):
    assert expand(text, environ) == expected


def test_missing_variable_without_default_is_named():
    with pytest.raises(KeyError, match="ALLIANCE_NOPE"):
        expand("${ALLIANCE_NOPE}", {})


def test_main_prints_exports_a_shell_can_eval(tmp_path):
    script = (
        f'eval "$({sys.executable} -m alliance_pipeline.airflow_env)" && '
        'printf "%s" "$AIRFLOW_CONN_ALLIANCE_S3"'
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_S3")}
    environ["ALLIANCE_S3_ENDPOINT"] = "http://127.0.0.1:8444"
    out = subprocess.run(
        ["bash", "-c", script],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert json.loads(out)["extra"]["endpoint_url"] == "http://127.0.0.1:8444"


def test_connections_the_user_exported_win_over_the_files(tmp_path):
    from alliance_pipeline.local.airflow_home import local_airflow_environ

    mine = json.dumps({"conn_type": "postgres", "host": "warehouse.internal", "schema": "dw"})
    env = local_airflow_environ(tmp_path, keep={"AIRFLOW_CONN_ALLIANCE_WAREHOUSE": mine})
    assert env["AIRFLOW_CONN_ALLIANCE_WAREHOUSE"] == mine
    assert json.loads(env["AIRFLOW_CONN_SPARK_DEFAULT"])["conn_type"] == "spark"  # the file's
    assert json.loads(local_airflow_environ(tmp_path)["AIRFLOW_CONN_ALLIANCE_WAREHOUSE"]) != mine
