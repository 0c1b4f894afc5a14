"""The migration runner on DuckDB: order, dialect steps, checksums, atomicity."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliance_pipeline.settings import MIGRATIONS_DIR
from alliance_pipeline.warehouse import MigrationError, open_warehouse
from alliance_pipeline.warehouse.migrations import discover

pytestmark = pytest.mark.unit


def write(folder: Path, name: str, sql: str) -> Path:
    path = folder / name
    path.write_text(sql, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    d.mkdir()
    write(d, "002_b.sql", "CREATE TABLE ops.b (x INTEGER);")
    write(d, "001_a.sql", "CREATE SCHEMA IF NOT EXISTS mart; CREATE TABLE mart.a (x INTEGER);")
    write(d, "001_a.duckdb.sql", "INSERT INTO mart.a VALUES (7);")
    write(d, "001_a.postgres.sql", "INSERT INTO mart.a VALUES (8);")
    write(d, "003_pg_only.postgres.sql", "CREATE ROLE nobody;")
    return d


@pytest.fixture
def wh(tmp_path: Path):
    return open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")


def test_discover_orders_versions_and_picks_the_dialect_step(folder):
    duck = discover(folder, "duckdb")
    assert [m.label for m in duck] == ["001_a", "002_b"]
    assert [f.name for f in duck[0].files] == ["001_a.sql", "001_a.duckdb.sql"]
    pg = discover(folder, "postgres")
    assert [m.label for m in pg] == ["001_a", "002_b", "003_pg_only"]
    assert [f.name for f in pg[0].files] == ["001_a.sql", "001_a.postgres.sql"]


def test_migrate_applies_in_order_once_and_records(wh, folder):
    assert wh.migrate(folder) == ["001_a", "002_b"]
    assert wh.migrate(folder) == []
    assert wh.query("SELECT x FROM mart.a") == [(7,)]
    rows = wh.query("SELECT version, name, length(checksum) FROM ops.schema_migrations ORDER BY 1")
    assert rows == [(1, "a", 64), (2, "b", 64)]


def test_new_migration_is_applied_later(wh, folder):
    wh.migrate(folder)
    write(folder, "004_c.sql", "CREATE TABLE ops.c (y TEXT);")
    assert wh.migrate(folder) == ["004_c"]


def test_changed_applied_file_is_refused(wh, folder):
    wh.migrate(folder)
    write(folder, "002_b.sql", "CREATE TABLE ops.b (x BIGINT);")
    with pytest.raises(MigrationError, match="002_b changed after it was applied"):
        wh.migrate(folder)


def test_changed_dialect_step_is_refused(wh, folder):
    wh.migrate(folder)
    write(folder, "001_a.duckdb.sql", "INSERT INTO mart.a VALUES (9);")
    with pytest.raises(MigrationError, match="001_a changed"):
        wh.migrate(folder)


def test_removed_applied_file_is_refused(wh, folder):
    wh.migrate(folder)
    (folder / "002_b.sql").unlink()
    with pytest.raises(MigrationError, match="002_b has no file"):
        wh.migrate(folder)


def test_failing_migration_leaves_nothing_of_itself(wh, folder):
    write(folder, "005_bad.sql", "CREATE TABLE ops.half (x INTEGER); SELECT * FROM no_such_table;")
    with pytest.raises(Exception, match="no_such_table"):
        wh.migrate(folder)
    applied = wh.query("SELECT version FROM ops.schema_migrations ORDER BY 1")
    assert applied == [(1,), (2,)]
    assert wh.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'") == [
        (0,)
    ]


@pytest.mark.parametrize(
    ("name", "why"),
    [("1_short.sql", "NNN_name"), ("001-dash.sql", "NNN_name"), ("001_x.mysql.sql", "NNN_name")],
)
def test_bad_file_names_are_refused(tmp_path, name, why):
    write(tmp_path, name, "SELECT 1;")
    with pytest.raises(MigrationError, match=why):
        discover(tmp_path, "duckdb")


def test_one_version_two_names_is_refused(tmp_path):
    write(tmp_path, "007_one.sql", "SELECT 1;")
    write(tmp_path, "007_two.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="version 007 is already one"):
        discover(tmp_path, "duckdb")


def test_project_migrations_apply_on_duckdb(wh):
    applied = wh.migrate()
    assert applied[:4] == ["001_schemas", "002_ingestion_log", "003_pipeline_run", "004_dim_source"]
    assert [m.label for m in discover(MIGRATIONS_DIR, "duckdb")] == applied
    assert wh.migrate() == []
