"""validate_batch end to end on a lake: PII never leaves quarantine, dq results reach the
warehouse (DuckDB) through publish_dq, a rerun replaces instead of appending, and a generated
2-night sample passes clean, or with defects quarantines exactly the injected ones."""

import json
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest

from alliance_pipeline.contracts import dataset as contract
from alliance_pipeline.generator import GeneratorConfig, generate, write_landing
from alliance_pipeline.lake.paths import raw_partition
from alliance_pipeline.manifest import sha256_bytes
from alliance_pipeline.validation import (
    ValidationFailed,
    build_data_docs,
    load_results,
    publish_dq,
    validate_batch,
)
from alliance_pipeline.warehouse import open_warehouse
from tests.fixtures.bad_inputs import cases

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET_MOBILE = "1.39123E+10"
SECRET_EMAIL = "leak.me@secret.example"


def test_pii_stays_out_of_results_docs_and_messages(lake):
    rows = cases.users("moonbay")
    rows[0] |= {"mobile": SECRET_MOBILE, "email": SECRET_EMAIL}
    rows[1] |= {"email": "not-an-email", "id_card_no": "110105198001010011"}
    rows[2] |= {"mobile": "１３９１２３４５６７８", "email": "  Padded.Case@Example.com "}
    data = cases.csv_bytes(rows, "gbk")
    cases.stage_bytes(lake / "raw", "moonbay", "users", data, len(rows))
    result = validate_batch("moonbay", "users", cases.DT, "run-pii", now=NOW)
    broken = {e.expectation for e in result.expectations if not e.passed}
    assert broken == {
        "excel_scientific_notation:mobile",
        "format:email",
        "cn_resident_id:id_card_no",
    }
    info = {e.expectation: e.rows_affected for e in result.expectations if e.severity == "info"}
    assert info == {"fullwidth_digits:mobile": 1, "spelling:email": 1}
    assert result.rows_quarantined == 2  # rows 0 and 1; row 2 only has spellings
    docs = build_data_docs(cases.DT)
    assert docs.exists() and str(docs) == result.data_docs_path
    texts = [json.dumps(result.to_dict(), ensure_ascii=False)]
    texts += [p.read_text(errors="ignore") for p in (lake / "reports").rglob("*.html")]
    texts += [p.read_text() for p in (lake / "reports" / "dq").rglob("*.json")]
    assert len(texts) > 3
    for secret in (
        SECRET_MOBILE,
        SECRET_EMAIL,
        "not-an-email",
        "Padded.Case",
        "１３９１２３４５６７８",
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


# --- a generated night (the generator's clean and defects modes) through validate_batch -----

BATCH_DEFECT_RULES = {
    "missing_required_column": {"columns_present"},
    "truncated_file": {"manifest_row_count", "file_unreadable"},
    "row_count_mismatch": {"manifest_row_count"},
}


def _generated_lake(root, defects: bool):
    """A 2-night generated sample landed under ``root`` and copied into the raw zone the way
    ingestion does (a delivery whose checksum does not match is refused there)."""
    run = generate(GeneratorConfig(persons=800, days=2, defects=defects))
    landing, refused = root / "landing", set()
    for enc in write_landing(run.deliveries, out_dir=landing):
        d = enc.delivery
        folder = landing / d.prefix
        files = [(folder / f.key.rsplit("/", 1)[-1], f.sha256) for f in enc.manifest.files]
        if any(sha256_bytes(p.read_bytes()) != digest for p, digest in files):
            refused.add((d.source.id, d.dataset, d.dt))
            continue
        shutil.copytree(folder, raw_partition(d.source.id, d.dataset, d.dt))
    return run, refused


def _validate_nights(run, refused) -> dict:
    results = {}
    for dt in run.truth.dates:
        now = datetime.combine(date.fromisoformat(dt) + timedelta(days=1), time(2, 30), SHANGHAI)
        batches = sorted(
            {(d.source.id, d.dataset) for d in run.deliveries if d.dt == dt},
            key=lambda b: (contract(b[1]).wave != "reference", b),
        )
        for source_id, name in batches:
            if (source_id, name, dt) in refused:
                continue
            try:
                results[source_id, name, dt] = validate_batch(source_id, name, dt, "gen", now=now)
            except ValidationFailed as failed:
                results[source_id, name, dt] = failed.result
    return results


@pytest.fixture(scope="module", params=[False, True], ids=["clean", "defects"])
def generated_night(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    mp = pytest.MonkeyPatch()
    mp.setenv("ALLIANCE_LAKE_ROOT", str(root / "lake"))
    run, refused = _generated_lake(root, request.param)
    yield run, refused, _validate_nights(run, refused)
    mp.undo()


def _row_rule_keys(result) -> set[str]:
    """Keys of the quarantined rows that broke a row rule (not just 'batch_rejected')."""
    path = Path(result.quarantine_path) / "rows.parquet"
    if not path.exists():
        return set()
    rows = pq.read_table(path).to_pylist()
    key = contract(result.dataset).key
    return {"|".join(r[c] for c in key) for r in rows if r["_rules"] != "batch_rejected"}


def test_generated_nights_quarantine_exactly_the_injected_defects(generated_night):
    run, refused, results = generated_night
    batch_defects, row_defects = {}, {}
    for d in run.truth.defects:
        where = (d["source"], d["dataset"], d["dt"])
        if d["level"] == "batch":
            batch_defects[where] = d
        else:
            row_defects.setdefault(where, set()).update(d["keys"])
    assert bool(run.truth.defects) == run.world.cfg.defects
    assert len(results) + len(refused) == len(run.truth.deliveries)
    assert refused == {w for w, d in batch_defects.items() if d["kind"] == "checksum_mismatch"}
    for where, result in results.items():
        assert result.rows_in == result.rows_passed + result.rows_quarantined
        defect = batch_defects.get(where)
        if defect and defect["rows"]:
            assert result.batch_rejected, where
            assert set(result.failed_critical) & BATCH_DEFECT_RULES[defect["kind"]], where
            continue
        # An empty JSON Lines delivery has no columns to miss: the defect leaves no trace.
        assert _row_rule_keys(result) == row_defects.get(where, set()), where
        if where in row_defects:
            assert result.failed_critical in ([], ["bad_row_share"]), where
        else:
            assert not result.batch_rejected, (where, result.failed_critical)
            assert result.rows_quarantined == 0, where
            observed = {e.expectation for e in result.expectations if e.severity == "info"}
            assert observed <= {"extra_columns", "fullwidth_digits:mobile", "spelling:email"}
