"""Airflow connections and variables as environment variables, from a committed JSON file.

``config/airflow-connections.json`` holds the local and test values (dummy credentials and an
obviously marked development pseudonym key, never a real secret) in Airflow's JSON connection
format. String values may hold ``${VAR}`` or ``${VAR:-default}`` placeholders, filled from the
environment; a default may itself hold one placeholder. ``ALLIANCE_HOME`` defaults to the project
root. Production (docker-compose.yml, a secrets backend) does not read this file.

    eval "$(python -m alliance_pipeline.airflow_env)"   # exports AIRFLOW_CONN_*, AIRFLOW_VAR_*
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alliance_pipeline import settings

CONNECTIONS_FILE = "airflow-connections.json"

_PLACEHOLDER = re.compile(
    r"\$\{(?P<name>[A-Za-z_]\w*)(?::-(?P<default>(?:[^${}]|\$\{[^{}]*\})*))?\}"
)


def expand(text: str, environ: Mapping[str, str]) -> str:
    """Fill ``${VAR}`` / ``${VAR:-default}`` like a shell; values from ``environ`` are not rescanned."""

    def fill(match: re.Match[str]) -> str:
        name, default = match["name"], match["default"]
        value = environ.get(name)
        if default is not None and not value:
            return expand(default, environ)
        if value is None:
            raise KeyError(f"{name} is not set and has no default in {CONNECTIONS_FILE}")
        return value

    return _PLACEHOLDER.sub(fill, text)


def _expand_all(value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return expand(value, environ)
    if isinstance(value, dict):
        return {key: _expand_all(item, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand_all(item, environ) for item in value]
    return value


def load_spec(path: Path | None = None) -> dict:
    """The raw file: ``{"connections": {id: {...}}, "variables": {key: value}}``."""
    path = path or settings.CONFIG_DIR / CONNECTIONS_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def airflow_env(
    environ: Mapping[str, str] = os.environ, path: Path | None = None
) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` (JSON) and ``AIRFLOW_VAR_<KEY>`` for every entry of the file."""
    spec = load_spec(path)
    scope = {"ALLIANCE_HOME": str(settings.PROJECT_ROOT), **environ}
    env = {}
    for conn_id, conn in spec["connections"].items():
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(
            _expand_all(conn, scope), sort_keys=True
        )
    for key, value in spec.get("variables", {}).items():
        filled = _expand_all(value, scope)
        env[f"AIRFLOW_VAR_{key.upper()}"] = (
            filled if isinstance(filled, str) else json.dumps(filled, sort_keys=True)
        )
    return env


def main() -> None:
    for name, value in airflow_env().items():
        sys.stdout.write(f"export {name}={shlex.quote(value)}\n")


if __name__ == "__main__":
    main()
