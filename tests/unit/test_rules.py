"""Every rule on a tiny frame, passing and failing: pandas rules, suite rules through GX."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from alliance_pipeline.config import pipeline_config
from alliance_pipeline.contracts import DATASETS, dataset
from alliance_pipeline.validation import rules as R
from alliance_pipeline.validation.gx_run import gx_view, run_suite
from alliance_pipeline.validation.policy import row_count_band, too_many_bad_rows, window
from alliance_pipeline.validation.suites import build_suite, expectation_configs, stale_suites

pytestmark = pytest.mark.unit


def test_committed_suites_equal_what_the_contracts_generate():
    assert stale_suites() == []


def test_no_expectation_is_lost_to_gx_deduplication():
    for name in DATASETS:
        assert len(build_suite(name).expectations) == len(expectation_configs(dataset(name)))


def test_mobile_rules():
    values = pd.Series(
        ["138 0013 8000", "+86-13800138000", "1.38001E+10", "１３８００１３８０００", "12345", None]
    )
    found = R.mobile_checks(values)
    assert found["mobile_cn"].tolist() == [False, False, False, False, True, False]
    assert found["excel_scientific_notation"].tolist() == [False, False, True, False, False, False]
    assert found["fullwidth_digits"].tolist() == [False, False, False, True, False, False]
    assert R.normalise_mobile("+86 138-0013-8000") == "13800138000"
    assert R.normalise_mobile("＋８６ １３８－００１３－８０００") == "13800138000"
    assert R.mobile_checks(pd.Series(["１２３"]))["mobile_cn"].tolist() == [True]
    assert (
        "fullwidth_digits" in R.OBSERVATIONS and "excel_scientific_notation" not in R.OBSERVATIONS
    )


def test_email_spelling_is_an_observation_and_the_suite_checks_the_normalised_value():
    values = pd.Series(["  Ann@Example.COM ", "bob@example.com", "not-an-email", None])
    assert R.email_checks(values)["spelling"].tolist() == [True, False, False, False]
    assert "spelling" in R.OBSERVATIONS
    view = gx_view(pd.DataFrame({"email": values}), dataset("users"))
    assert view["email"].tolist()[:3] == ["ann@example.com", "bob@example.com", "not-an-email"]
    outcomes, _ = run_suite(view, build_suite("users"), PARAMS)
    rule = next(o for o in outcomes if o.rule == "format:email")
    assert rule.rows.tolist() == [2]


def test_gx_view_checks_numbers_as_floats():
    typed = pd.DataFrame(
        {"amount": [Decimal("9.90"), None], "quantity": pd.array([1, None], dtype="Int64")}
    )
    view = gx_view(typed, dataset("orders"))
    assert view.dtypes.tolist() == ["float64", "float64"]
    assert view["amount"].iloc[0] == pytest.approx(9.9) and pd.isna(view["quantity"].iloc[1])


def test_resident_id_check_digit():
    good = "11010519491231002X"
    assert R.resident_id_valid(good) and R.resident_id_valid(good.lower())
    assert not R.resident_id_valid(good[:-1] + "1")
    assert not R.resident_id_valid("110105194913310021")  # month 13
    assert R.resident_id_checks(pd.Series([good, None, "123"]))["cn_resident_id"].tolist() == [
        False,
        False,
        True,
    ]


def test_reference_check():
    values = pd.Series(["u1", "u2", None])
    assert R.reference_check(values, {"u1"}).tolist() == [False, True, False]
    assert R.reference_check(values, None).tolist() == [True, True, False]


def test_window_and_band_policy():
    policy = pipeline_config().validation
    start, end = window(
        policy, "2026-11-23", "Asia/Shanghai", datetime(2026, 11, 23, 16, tzinfo=UTC)
    )
    late_tolerance = timedelta(hours=policy.late_tolerance_hours)
    assert start == datetime(2026, 11, 22, 16, tzinfo=UTC) - late_tolerance
    assert end == datetime(2026, 11, 23, 16, tzinfo=UTC)  # capped at now
    assert row_count_band(policy, [100]) == (policy.min_rows, 2**62)  # too little history
    low, high = row_count_band(policy, [100, 100, 120, 90, 100])
    assert low <= 100 <= high and low > policy.min_rows
    slack = policy.row_count_band.slack_rows
    assert low == 30 - slack and high == 300 + slack
    assert row_count_band(policy, [2, 3, 2])[0] == policy.min_rows  # a handful: slack, not ratio
    assert too_many_bad_rows(policy, 3, 40) and not too_many_bad_rows(policy, 2, 40)
    assert not too_many_bad_rows(policy, 2, 4)  # a tiny increment: its bad rows are quarantined
    assert too_many_bad_rows(policy, 3, 4) and not too_many_bad_rows(policy, 0, 0)


def _delivery(**change):
    row = {
        "campaign_id": "c1",
        "date": pd.Timestamp("2026-11-23"),
        "channel": "wechat",
        "impressions": 10,
        "clicks": 2,
        "spend": Decimal("1.00"),
        "currency": "CNY",
    }
    rows = [row | {"campaign_id": f"c{i}"} for i in range(4)]
    rows[1] = rows[1] | change
    return pd.DataFrame(rows)


def _view(frame):
    return gx_view(frame, dataset("campaign_delivery"))


PARAMS = {
    "row_count_min": 1,
    "row_count_max": 10,
    "window_start": pd.Timestamp("2026-11-20T00:00Z"),
    "window_end": pd.Timestamp("2026-11-23T16:00Z"),
    "now": pd.Timestamp("2026-11-23T16:00Z"),
}


@pytest.fixture(scope="module")
def delivery_suite():
    return build_suite("campaign_delivery")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"clicks": 11}, "clicks_le_impressions"),
        ({"impressions": -1, "clicks": -2}, "range:impressions"),
        ({"channel": "tv"}, "allowed:channel"),
        ({"currency": None}, "not_null:currency"),
        ({"campaign_id": "c0"}, "unique_key"),
    ],
)
def test_suite_row_rules_fail_on_the_bad_row_only(delivery_suite, change, rule):
    good, _ = run_suite(_view(_delivery()), delivery_suite, PARAMS)
    assert all(o.passed for o in good)
    bad, _ = run_suite(_view(_delivery(**change)), delivery_suite, PARAMS)
    failed = {o.rule: o.rows.tolist() for o in bad if not o.passed}
    assert rule in failed and 1 in failed[rule]
    assert all(o.severity == "row" for o in bad if not o.passed)


def test_suite_critical_rules(delivery_suite):
    frame = _delivery().drop(columns=["spend"])
    outcomes, _ = run_suite(_view(frame), delivery_suite, PARAMS | {"row_count_min": 5})
    failed = {o.rule: o for o in outcomes if not o.passed and o.severity == "critical"}
    assert set(failed) == {"columns_present", "row_count_band"}
    assert failed["columns_present"].observed_value == "missing: spend"


def test_partition_day_rule():
    suite = build_suite("events")
    frame = pd.DataFrame(
        {
            "event_at": pd.to_datetime(
                ["2026-11-23T10:00Z", "2026-11-24T10:00Z", "2026-11-01T00:00Z"], utc=True
            )
        }
    )
    outcomes, _ = run_suite(frame, suite, PARAMS)
    rule = next(o for o in outcomes if o.rule == "partition_day:event_at")
    assert rule.rows.tolist() == [1, 2]
