"""`make ui`: the Airflow UI on this machine, with the project's DAGs and data-quality reports.

Starts ``airflow api-server`` on 127.0.0.1, ``airflow dag-processor`` (parses dags/) and
``airflow scheduler`` (so triggered runs run), on the SQLite metadata database of a local home,
prints the URL and stops everything on Ctrl-C. The home is the demo's (var/demo) when
``make demo`` has run, so its runs, task logs and data docs are browsable; otherwise var/ui.
Local use only: every visitor is an admin (simple auth manager, all-admins) unless ``--login``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path

from alliance_pipeline.local.airflow_home import (
    USER_EXPORTED,
    local_airflow_environ,
    migrate_metadata_db,
)
from alliance_pipeline.settings import PROJECT_ROOT

COMPONENTS = ("api-server", "dag-processor", "scheduler")
HEALTH_PATH = "/api/v2/monitor/health"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make ui", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--home",
        type=Path,
        help="project home with airflow/ and lake/ (default: var/demo if the demo ran, else var/ui)",
    )
    parser.add_argument(
        "--no-scheduler", action="store_true", help="browse only: runs are not started"
    )
    parser.add_argument(
        "--login",
        metavar="USER",
        help="require a login as USER (admin role); its password is written to "
        "<home>/airflow/simple_auth_manager_passwords.json.generated",
    )
    args = parser.parse_args(argv)

    home = (args.home or default_home()).resolve()
    env = ui_environ(home, login_user=args.login)
    say(f"home {home} (metadata db, logs: {env['AIRFLOW_HOME']})")
    say("preparing the metadata database ...")
    migrate_metadata_db(env)
    components = COMPONENTS[:2] if args.no_scheduler else COMPONENTS
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(
        signal.SIGINT, signal.default_int_handler
    )  # Ctrl-C, even if started in background
    try:
        with serve(env, args.port, components, Path(env["AIRFLOW_HOME"]) / "logs") as url:
            say(f"Airflow UI: {url}  (DAGs appear within about 30 s; Ctrl-C stops)")
            say(f"data quality: {url}/plugin/data-quality")
            if args.login:
                say(f"log in as {args.login}; password in {password_file(env)}")
            while not stop["now"]:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    say("stopped")
    return 0


def default_home() -> Path:
    demo = PROJECT_ROOT / "var" / "demo"
    return demo if (demo / "airflow" / "airflow.db").exists() else PROJECT_ROOT / "var" / "ui"


def ui_environ(
    home: Path, login_user: str | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The local Airflow environment of ``home`` (``home/airflow``, lake ``home/lake``, warehouse
    ``home/warehouse.duckdb``, as the demo lays it out). With ``login_user``, the simple auth
    manager asks for a login: that user (admin) gets a generated password in the home."""
    overrides = {
        "ALLIANCE_LAKE_ROOT": str(home / "lake"),
        "ALLIANCE_WAREHOUSE_PATH": str(home / "warehouse.duckdb"),
        "ALLIANCE_LANDING_BUCKET": os.environ.get("ALLIANCE_LANDING_BUCKET", "alliance-landing"),
        **(extra or {}),
    }
    env = local_airflow_environ(home / "airflow", overrides, keep=USER_EXPORTED)
    env.update(overrides)
    if login_user:
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "False"
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = f"{login_user}:admin"
        env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = password_file(env)
    return env


def password_file(env: Mapping[str, str]) -> str:
    return str(Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated")


@contextlib.contextmanager
def serve(
    env: Mapping[str, str],
    port: int,
    components: Sequence[str] = COMPONENTS,
    log_dir: Path | None = None,
    ready_timeout: float = 120.0,
) -> Generator[str, None, None]:
    """Run the Airflow ``components`` (api-server on 127.0.0.1:``port``); yield the UI's base
    URL once the api-server is healthy; stop them all (their process groups) on exit."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    log_dir = log_dir or Path(env["AIRFLOW_HOME"]) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    # Task processes started by the scheduler report to the execution API of this api-server.
    env = {"AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/", **env}
    procs: list[tuple[str, subprocess.Popen]] = []
    try:
        for name in components:
            args = [airflow, name]
            if name == "api-server":
                args += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
            with (log_dir / f"ui-{name}.log").open("ab") as log:
                procs.append(
                    (
                        name,
                        subprocess.Popen(
                            args,
                            env=dict(env),
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL,
                            start_new_session=True,  # Ctrl-C reaches us; we stop them in order
                        ),
                    )
                )
        wait_healthy(url, procs, ready_timeout, log_dir)
        yield url
    finally:
        for _, proc in reversed(procs):
            _stop(proc)


def wait_healthy(url: str, procs, timeout: float, log_dir: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"airflow {name} exited with {proc.returncode}; see {log_dir}/ui-{name}.log"
                )
        try:
            with urllib.request.urlopen(url + HEALTH_PATH, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise TimeoutError(f"the api-server at {url} was not healthy after {timeout:.0f}s")


def _stop(proc: subprocess.Popen, grace: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def say(text: str) -> None:
    print(f"[ui] {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
