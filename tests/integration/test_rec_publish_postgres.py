"""The recommendation gate keeps the previous set in a PostgreSQL warehouse too."""

import pytest

from tests.fixtures.postgres import fresh_database
from tests.unit.test_rec_publish import check_gate_keeps_the_previous_set, migrated

pytestmark = pytest.mark.integration


def test_gate_keeps_the_previous_set_postgres(tmp_path, pg_dsn):
    with fresh_database(pg_dsn) as url:
        wh = migrated(url, tmp_path)
        check_gate_keeps_the_previous_set(wh, tmp_path / "lake")
