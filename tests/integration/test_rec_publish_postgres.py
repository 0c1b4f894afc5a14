"""The recommendation gate keeps the previous set in a PostgreSQL warehouse too, and
mart.model_evaluation holds both families there as on DuckDB."""

import pytest

from alliance_pipeline.warehouse import open_warehouse
from tests.fixtures.postgres import fresh_database
from tests.unit.test_model_evaluation import (
    check_750_carries_the_rows_over,
    check_both_families_share_the_table,
)
from tests.unit.test_rec_publish import check_gate_keeps_the_previous_set, migrated

pytestmark = pytest.mark.integration


def test_gate_keeps_the_previous_set_postgres(tmp_path, pg_dsn):
    with fresh_database(pg_dsn) as url:
        wh = migrated(url, tmp_path)
        check_gate_keeps_the_previous_set(wh, tmp_path / "lake")


def test_both_families_share_the_table_postgres(tmp_path, pg_dsn):
    with fresh_database(pg_dsn) as url:
        wh = migrated(url, tmp_path)
        check_both_families_share_the_table(wh, tmp_path / "lake")


def test_750_carries_the_rows_over_postgres(tmp_path, pg_dsn):
    with fresh_database(pg_dsn) as url:
        check_750_carries_the_rows_over(open_warehouse(url), tmp_path)
