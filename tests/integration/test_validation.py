"""validate_batch end to end on a lake: PII never leaves quarantine, dq results reach the
warehouse (DuckDB) through publish_dq, and a rerun replaces instead of appending."""

import json
from datetime import UTC, datetime

import pytest

from alliance_pipeline.validation import ValidationFailed, load_results, publish_dq, validate_batch
from alliance_pipeline.warehouse import open_warehouse
from tests.fixtures.bad_inputs import cases

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
SECRET_MOBILE = "1.39123E+10"
SECRET_EMAIL = "leak.me@secret.example"


def test_pii_stays_out_of_results_docs_and_messages(lake):
    rows = cases.users("moonbay")
    rows[0] |= {"mobile": SECRET_MOBILE, "email": SECRET_EMAIL}
    rows[1] |= {"email": "not-an-email", "id_card_no": "110105198001010011"}
    data = cases.csv_bytes(rows, "gbk")
    cases.stage_bytes(lake / "raw", "moonbay", "users", data, len(rows))
    result = validate_batch("moonbay", "users", cases.DT, "run-pii", now=NOW)
    broken = {e.expectation for e in result.expectations if not e.passed}
    assert {
        "excel_scientific_notation:mobile",
        "format:email",
        "cn_resident_id:id_card_no",
    } <= broken
    texts = [json.dumps(result.to_dict(), ensure_ascii=False)]
    texts += [p.read_text(errors="ignore") for p in (lake / "reports").rglob("*.html")]
    texts += [p.read_text() for p in (lake / "reports" / "dq").rglob("*.json")]
    assert len(texts) > 3
    for secret in (
        SECRET_MOBILE,
        SECRET_EMAIL,
        "not-an-email",
        "110105198001010011",
        "张0",
        "moonbay-u003",
    ):
        assert not any(secret in t for t in texts), secret

    rows[5] |= {"registered_at": "2026-11-23T10:00:00"}  # no offset
    bad = [
        {k: v for k, v in r.items() if k != "updated_at"} | {"mobile": SECRET_MOBILE} for r in rows
    ]
    cases.stage_bytes(lake / "raw", "moonbay", "users", cases.csv_bytes(bad, "gbk"), len(bad))
    with pytest.raises(ValidationFailed) as info:
        validate_batch("moonbay", "users", cases.DT, "run-pii", now=NOW)
    assert SECRET_MOBILE not in str(info.value) and "columns_present" in str(info.value)


def test_publish_dq_loads_and_replaces(lake, tmp_path):
    wh = open_warehouse(f"duckdb:///{tmp_path}/wh.duckdb")
    wh.migrate()
    cases.stage_bytes(
        lake / "raw", "platform", "catalog", cases.encode("platform", cases.catalog()), 10
    )
    validate_batch("platform", "catalog", cases.DT, "run-1", now=NOW)
    orders = cases.orders("kestrel")
    orders[0]["currency"] = "JPY"
    cases.stage_bytes(
        lake / "raw", "kestrel", "users", cases.encode("kestrel", cases.users("kestrel")), 40
    )
    validate_batch("kestrel", "users", cases.DT, "run-1", now=NOW)
    cases.stage_bytes(lake / "raw", "kestrel", "orders", cases.csv_bytes(orders), 40)
    result = validate_batch("kestrel", "orders", cases.DT, "run-1", now=NOW)
    assert (result.rows_in, result.rows_passed, result.rows_quarantined) == (40, 39, 1)

    saved = load_results(cases.DT)
    assert len(saved) == 3
    for _ in range(2):  # a retry replaces
        loaded = publish_dq(wh, saved)
    assert loaded == sum(len(r.expectations) for r in saved)
    assert wh.query("SELECT count(*) FROM mart.dq_result")[0][0] == loaded
    assert wh.query(
        "SELECT rule, rows, batch_rejected FROM mart.quarantine_index WHERE dataset = 'orders'"
    ) == [("allowed:currency", 1, False)]
    assert wh.query(
        "SELECT passed, rows_affected FROM mart.dq_result WHERE dataset = 'orders' AND expectation = 'ref:source_user_id'"
    ) == [(True, 0)]
