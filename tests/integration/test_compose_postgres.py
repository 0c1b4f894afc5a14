"""docker-compose's PostgreSQL init script against a real server."""

import re
import uuid
from urllib.parse import urlsplit

import pytest
import yaml

from alliance_pipeline import settings, warehouse
from tests.dags.test_compose import ROOT, connections

pytestmark = pytest.mark.integration


def test_postgres_init_lets_the_warehouse_role_apply_every_migration(pg_dsn):
    """The init script's statements, then migrate() as the role it creates (not a superuser)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    from tests.fixtures.postgres import admin_connection

    wh_conn = connections(services["airflow-scheduler"])[settings.WAREHOUSE_CONN_ID]
    script = compose["configs"]["postgres-init"]["content"]
    sql = re.search(r"<<'EOSQL'\n(.*?)\nEOSQL", script, re.S)[1]
    # Roles are server-wide: unique names; psql's :'pw' filled as psql would.
    unique = f"ct_{uuid.uuid4().hex[:10]}"
    role, database, password = (
        f"{wh_conn['login']}_{unique}",
        f"{wh_conn['schema']}_{unique}",
        unique,
    )
    sql = re.sub(rf"\bROLE {wh_conn['login']}\b", f"ROLE {role}", sql)
    sql = re.sub(
        rf"\bDATABASE {wh_conn['schema']} OWNER {wh_conn['login']}\b",
        f"DATABASE {database} OWNER {role}",
        sql,
    )
    sql = sql.replace(":'pw'", f"'{password}'")
    assert role in sql and database in sql and ":'" not in sql

    admin = admin_connection(pg_dsn)
    try:
        with admin.cursor() as cur:
            for statement in filter(str.strip, sql.split(";")):
                cur.execute(statement)
        server = urlsplit(pg_dsn)
        url = server._replace(
            netloc=f"{role}:{password}@{server.netloc.rpartition('@')[2]}", path=f"/{database}"
        ).geturl()
        wh = warehouse.open_warehouse(url)
        applied = wh.migrate()
        assert applied and wh.migrate() == []
        assert wh.query(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'mart'"
        ) == [(1,)]
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            cur.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()
