"""Every bad-input case of tests/fixtures/bad_inputs through validate_batch on a fresh lake."""

import pyarrow.parquet as pq
import pytest

from alliance_pipeline.lake.paths import quarantine_partition, validated_partition
from alliance_pipeline.validation import ValidationFailed, validate_batch
from tests.fixtures.bad_inputs import cases
from tests.fixtures.bad_inputs.lake import NOW

pytestmark = pytest.mark.unit

CASES = {p.name: p for p in cases.case_dirs()}


def test_at_least_fifteen_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name, lake_with_refs):
    case = cases.stage(CASES[name], lake_with_refs / "raw")
    src, dataset, dt = case["source"], case["dataset"], case["dt"]
    if case["critical"]:
        with pytest.raises(ValidationFailed) as info:
            validate_batch(src, dataset, dt, "run-1", now=NOW)
        result = info.value.result
        message = str(info.value)
        for part in (f"source={src}", f"dataset={dataset}", f"dt={dt}", *case["critical"]):
            assert part in message
        assert set(case["critical"]) <= set(result.failed_critical)
        assert result.batch_rejected and result.rows_passed == 0
        assert not validated_partition(src, dataset, dt).exists()
        assert (quarantine_partition(src, dataset, dt) / "_batch.json").exists()
    else:
        result = validate_batch(src, dataset, dt, "run-1", now=NOW)
        assert not result.batch_rejected
        broken = {e.expectation: e.rows_affected for e in result.expectations if not e.passed}
        assert broken == case["row_rules"]
        passed = pq.read_table(validated_partition(src, dataset, dt))
        assert passed.num_rows == result.rows_passed
        if case["row_rules"]:
            bad = pq.read_table(quarantine_partition(src, dataset, dt) / "rows.parquet")
            assert bad.num_rows == result.rows_quarantined > 0
            rules = ";".join(bad.column("_rules").to_pylist())
            assert all(rule in rules for rule in case["row_rules"])
    assert result.rows_in == result.rows_passed + result.rows_quarantined
