"""docker-compose.yml and the Dockerfile agree with the code (no Docker engine runs here).

Service names, connection ids, the Spark master, the landing bucket, mounted and copied folders,
version pins and secrets are read from the files and checked against settings.py,
pyproject.toml, config/airflow-connections.json and Airflow's own hooks.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from alliance_pipeline import settings, warehouse
from alliance_pipeline.airflow_env import load_spec

pytestmark = pytest.mark.dags

ROOT = Path(__file__).resolve().parents[2]
CONN_IDS = {
    settings.S3_CONN_ID,
    settings.WAREHOUSE_CONN_ID,
    settings.SPARK_CONN_ID,
    settings.PSEUDONYM_KEY_CONN_ID,
}
AIRFLOW_SERVICES = {
    "airflow-init": None,
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
PROJECT_FOLDERS = ("dags", "src", "plugins", "jobs", "config", "expectations", "migrations")
SPARK_WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
# ${NAME}, ${NAME:-default}, ${NAME:?message}: compose interpolation.
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in joined.splitlines()
        if line.strip()
    ]


@pytest.fixture(scope="module")
def pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = (re.match(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", dep) for dep in project["dependencies"])
    return {m[1].lower(): m[2] for m in found if m}


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment must be a mapping"
    return {key: str(value) for key, value in env.items()}


def command_text(service: dict) -> str:
    command = service.get("command") or ""
    return command if isinstance(command, str) else " ".join(map(str, command))


def airflow_services(services: dict) -> dict[str, dict]:
    return {
        name: service
        for name, service in services.items()
        if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in env_of(service)
    }


def spark_workers(services: dict) -> dict[str, dict]:
    return {n: s for n, s in services.items() if SPARK_WORKER_CLASS in command_text(s)}


def interpolate(text: str) -> str:
    """What compose passes to the container when required variables are set to 'x-NAME'."""

    def fill(match: re.Match[str]) -> str:
        return match["arg"] if match["op"] == ":-" else f"x-{match['name']}"

    return INTERPOLATION.sub(fill, text).replace("$$", "$")


def connections(service: dict) -> dict[str, dict]:
    return {
        key.removeprefix("AIRFLOW_CONN_").lower(): json.loads(value)
        for key, value in env_of(service).items()
        if key.startswith("AIRFLOW_CONN_")
    }


def bind_mounts(service: dict) -> dict[str, str]:
    """Host folder (relative to the repo) -> container path."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if source.startswith("./"):
            mounts[source.removeprefix("./").rstrip("/")] = target
    return mounts


def named_mounts(service: dict) -> dict[str, str]:
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if not source.startswith(("./", "/", "$")):
            mounts[source] = target
    return mounts


def test_compose_file_has_the_production_services(compose, services):
    assert "version" not in compose, "the compose spec has no version key"
    expected = {"postgres", "minio", "minio-init", "spark-master", *AIRFLOW_SERVICES}
    assert expected <= set(services)
    assert len(spark_workers(services)) >= 2
    assert set(airflow_services(services)) == set(AIRFLOW_SERVICES)
    for name, subcommand in AIRFLOW_SERVICES.items():
        if subcommand:
            assert command_text(services[name]) == subcommand, name


def test_every_airflow_service_defines_every_connection_of_settings(services):
    for name, service in airflow_services(services).items():
        assert set(connections(service)) == CONN_IDS, name


def test_airflow_3_runtime_settings(services):
    service_names = set(services)
    api_port = services["airflow-apiserver"]["ports"][0].rsplit(":", 1)[1]
    for name, service in airflow_services(services).items():
        env = env_of(service)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("SimpleAuthManager"), name
        database = urlsplit(interpolate(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
        assert database.hostname == "postgres" and database.path == "/airflow", name
        execution_api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
        assert execution_api.hostname == "airflow-apiserver" in service_names, name
        assert str(execution_api.port) == api_port and execution_api.path == "/execution/"
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"], name
        assert env["AIRFLOW__SCHEDULER__MP_START_METHOD"] == "forkserver", name
        assert env["AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD"] == settings.SCHEDULER_PRELOAD, name


def test_spark_connection_points_at_the_spark_master(services, monkeypatch):
    from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook

    env = env_of(services["airflow-scheduler"])
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_DEFAULT", interpolate(env["AIRFLOW_CONN_SPARK_DEFAULT"]))
    master = SparkSubmitHook(conn_id=settings.SPARK_CONN_ID)._connection["master"]

    host, port = urlsplit(master).hostname, urlsplit(master).port
    assert host in services
    master_command = command_text(services[host])
    assert "org.apache.spark.deploy.master.Master" in master_command
    assert f"--host {host}" in master_command and f"--port {port}" in master_command
    for name, worker in spark_workers(services).items():
        assert command_text(worker).split()[-1] == master, name
        assert host in worker["depends_on"], name


def test_s3_and_warehouse_connections_point_at_their_services(services, compose):
    conns = connections(services["airflow-scheduler"])
    endpoint = urlsplit(conns[settings.S3_CONN_ID]["extra"]["endpoint_url"])
    assert endpoint.hostname == "minio" and f":{endpoint.port}" in command_text(services["minio"])

    wh_conn = conns[settings.WAREHOUSE_CONN_ID]
    assert wh_conn["conn_type"] == "postgres" and wh_conn["host"] == "postgres"
    init_sql = compose["configs"]["postgres-init"]["content"]
    assert f"CREATE ROLE {wh_conn['login']} LOGIN" in init_sql
    assert f"CREATE DATABASE {wh_conn['schema']} OWNER {wh_conn['login']}" in init_sql
    mounted_init = {c["source"]: c["target"] for c in services["postgres"]["configs"]}
    assert mounted_init["postgres-init"].startswith("/docker-entrypoint-initdb.d/")
    # The healthcheck waits for the warehouse database, which exists only after the init script.
    assert wh_conn["schema"] in services["postgres"]["healthcheck"]["test"]


def test_landing_bucket_created_by_minio_init_is_the_settings_default(services, monkeypatch):
    monkeypatch.delenv("ALLIANCE_LANDING_BUCKET", raising=False)
    init = services["minio-init"]
    assert env_of(init)["ALLIANCE_LANDING_BUCKET"] == settings.landing_bucket()
    assert 'mc mb --ignore-existing "local/$$ALLIANCE_LANDING_BUCKET"' in command_text(init)
    for name, service in airflow_services(services).items():
        assert env_of(service)["ALLIANCE_LANDING_BUCKET"] == settings.landing_bucket(), name


def test_mounted_and_copied_folders_exist_and_agree(services, dockerfile):
    for name, service in services.items():
        for folder in bind_mounts(service):
            assert (ROOT / folder).is_dir(), f"{name} mounts ./{folder}, missing in the repo"

    copies = {}
    for instruction, args in dockerfile:
        if instruction == "COPY":
            *sources, target = [a for a in args.split() if not a.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies {source}, missing"
                copies[source.rstrip("/")] = target.rstrip("/")
    image_env = dict(
        pair.split("=", 1)
        for instruction, args in dockerfile
        if instruction == "ENV"
        for pair in args.split()
        if "=" in pair
    )
    home = image_env["ALLIANCE_HOME"]
    for folder in PROJECT_FOLDERS:
        assert copies[folder] == f"{home}/{folder}", folder
        for name, service in {**airflow_services(services), **spark_workers(services)}.items():
            assert bind_mounts(service)[folder] == copies[folder], (name, folder)
    assert copies["pyproject.toml"] == f"{home}/pyproject.toml"
    assert copies["constraints.txt"] == f"{home}/constraints.txt"
    assert image_env["AIRFLOW__CORE__DAGS_FOLDER"] == copies["dags"]
    assert image_env["AIRFLOW__CORE__PLUGINS_FOLDER"] == copies["plugins"]
    for name, service in airflow_services(services).items():
        assert env_of(service)["ALLIANCE_HOME"] == home, name

    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for source in copies:
        assert f"!{source}/" in ignored or f"!{source}" in ignored, f".dockerignore drops {source}"


def test_lake_volume_is_shared_by_airflow_and_spark_workers(services, compose):
    lake_root = env_of(services["airflow-scheduler"])["ALLIANCE_LAKE_ROOT"]
    users = {**airflow_services(services), **spark_workers(services)}
    volumes = set()
    for name, service in users.items():
        assert env_of(service)["ALLIANCE_LAKE_ROOT"] == lake_root, name
        by_target = {target: source for source, target in named_mounts(service).items()}
        assert lake_root in by_target, f"{name} does not mount the lake at {lake_root}"
        volumes.add(by_target[lake_root])
    assert len(volumes) == 1 and volumes <= set(compose["volumes"])


def test_image_versions_equal_the_pins(services, dockerfile, pins):
    (base,) = [args for instruction, args in dockerfile if instruction == "FROM"]
    match = re.fullmatch(r"apache/airflow:(?P<airflow>[\d.]+)-python(?P<python>3\.\d+)", base)
    assert match, base
    assert match["airflow"] == pins["apache-airflow"]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    lowest, below = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", requires).groups()
    assert int(lowest) <= int(match["python"].split(".")[1]) < int(below)

    runs = " ".join(args for instruction, args in dockerfile if instruction == "RUN")
    env = " ".join(args for instruction, args in dockerfile if instruction == "ENV")
    # The project (hence pyspark and every provider) is installed from pyproject.toml's pins under
    # constraints.txt; SPARK_HOME is that pyspark, and any version written in the Dockerfile must
    # be the pin.
    assert re.search(r"pip install [^&]*-c /opt/airflow/constraints.txt -e /opt/airflow", runs)
    assert f"/python{match['python']}/site-packages/pyspark" in env
    for package, version in re.findall(r"([A-Za-z0-9_.\-]+)==([\w.]+)", runs):
        assert pins[package.lower()] == version, package

    images = {
        name: service["image"]
        for name, service in {**airflow_services(services), **spark_workers(services)}.items()
    }
    images["spark-master"] = services["spark-master"]["image"]
    assert len(set(images.values())) == 1, images
    assert all(service.get("build") == "." for name, service in services.items() if name in images)


def secret_interpolation(value: str) -> bool:
    """A whole value that compose fills from the environment with no committed default."""
    match = INTERPOLATION.fullmatch(value)
    return bool(match) and (match["op"] == ":?" or (match["op"] == ":-" and not match["arg"]))


def test_no_literal_secret_in_compose(services):
    secret_name = re.compile(r"PASSWORD|SECRET|FERNET|_KEY$")
    not_secret = re.compile(r"^AIRFLOW_CONN_|ACCESS_KEY$|KEY_VERSION$|_FILE$")
    for name, service in services.items():
        for key, value in env_of(service).items():
            if secret_name.search(key) and not not_secret.search(key):
                assert secret_interpolation(value), f"{name}: {key} is not from the environment"
        for conn_id, conn in connections(service).items():
            if "password" in conn:
                assert secret_interpolation(conn["password"]), f"{name}: {conn_id} password"
        database = env_of(service).get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
        if database:
            password = re.search(r"://[^:]+:(.*)@", database)[1]
            assert secret_interpolation(password), f"{name}: metadata database password"

    pseudonym = connections(services["airflow-scheduler"])[settings.PSEUDONYM_KEY_CONN_ID]
    assert INTERPOLATION.fullmatch(pseudonym["password"])["op"] == ":?"
    dev_key = load_spec()["connections"][settings.PSEUDONYM_KEY_CONN_ID]["password"]
    for path in ("docker-compose.yml", "Dockerfile"):
        assert dev_key not in (ROOT / path).read_text(encoding="utf-8"), path


def test_local_connections_file_has_the_same_ids_and_variables(services):
    spec = load_spec(ROOT / "config" / "airflow-connections.json")
    assert set(spec["connections"]) == CONN_IDS
    assert spec["connections"][settings.PSEUDONYM_KEY_CONN_ID]["extra"]["version"].startswith("dev")
    for name, service in airflow_services(services).items():
        compose_vars = {
            key.removeprefix("AIRFLOW_VAR_").lower()
            for key in env_of(service)
            if key.startswith("AIRFLOW_VAR_")
        }
        assert compose_vars == set(spec["variables"]), name


def test_airflow_init_migrates_both_databases_and_creates_the_spark_pool(services):
    init = command_text(services["airflow-init"])
    assert "airflow db migrate" in init
    assert "from alliance_pipeline.warehouse import warehouse_from_airflow as w" in init
    assert "w().migrate()" in init
    assert callable(warehouse.warehouse_from_airflow) and callable(warehouse.Warehouse.migrate)
    from airflow.dag_processing.dagbag import DagBag

    used = {
        task.pool
        for dag in DagBag(dag_folder=str(ROOT / "dags")).dags.values()
        for task in dag.tasks
        if task.pool != "default_pool"
    }
    assert used >= {"spark", "settlement"}
    for name in used:
        pool = re.search(rf'airflow pools set {name} (\d+) "[^"]+"', init)
        assert pool and int(pool[1]) >= 1, f"pool {name} is used by a DAG but not created"
    assert services["airflow-init"]["restart"] == "no"


def test_dependencies_wait_for_health_or_completion(services, compose):
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, (name, dependency)
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], (name, dependency)
            elif rule["condition"] == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", (name, dependency)
        if service.get("restart") == "always":
            assert "healthcheck" in service, f"{name} runs for good but has no healthcheck"
        for volume in named_mounts(service):
            assert volume in compose["volumes"], (name, volume)
        for config in service.get("configs", []):
            assert config["source"] in compose["configs"], (name, config)
    for name in AIRFLOW_SERVICES.keys() - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == (
            "service_completed_successfully"
        )
