"""GX expectation suites built from the data contracts, kept in expectations/<dataset>.json.

    python -m alliance_pipeline.validation.suites --write    # regenerate the committed files
    python -m alliance_pipeline.validation.suites --check    # exit 1 when a file is stale

Every expectation carries ``meta.rule`` (the id used in dq results and quarantine) and
``meta.severity``: ``critical`` (the batch is rejected) or ``row`` (offending rows are
quarantined). GX's own ``severity`` mirrors it (``critical`` / ``warning``). Values known only at
run time are suite parameters, filled by the batch run:

    row_count_min, row_count_max    the band from the trailing nights' manifests
    window_start, window_end        the partition's day in the source's timezone, with tolerances;
                                    window_end is never after ``now``
    now                             the run's data interval end: nothing may be later

GX keeps one expectation per type and column, so a partition-time column has one
``partition_day`` rule (inside its day and not in the future) and other timestamps ``not_future``.

Critical: the contract's columns are all present, row count inside the band.
Row: not null, unique key, allowed values, ranges, column pairs, e-mail format, partition day,
never in the future. GX-less checks (CN mobile, resident id, references, type conversion) live in
rules.py and readers.py and are row rules too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from alliance_pipeline.contracts import DATASETS, Dataset, dataset
from alliance_pipeline.settings import EXPECTATIONS_DIR

EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
# (dataset, larger-or-equal column, smaller column, rule)
PAIR_RULES = (
    ("campaign_delivery", "impressions", "clicks", "clicks_le_impressions"),
    ("orders", "amount", "refund_amount", "refund_le_amount"),
    ("campaigns", "end_date", "start_date", "end_after_start"),
)


def _exp(type_: str, rule: str, severity: str, **kwargs) -> dict:
    return {
        "type": type_,
        "kwargs": kwargs,
        "meta": {"rule": rule, "severity": severity},
        "severity": "critical" if severity == "critical" else "warning",
    }


def _param(name: str) -> dict:
    return {"$PARAMETER": name}


def expectation_configs(dt: Dataset) -> list[dict]:
    """The suite's expectations as GX configuration dicts, in a stable order."""
    out = [
        _exp(
            "expect_table_columns_to_match_set",
            "columns_present",
            "critical",
            column_set=dt.column_names,
            exact_match=False,
        ),
        _exp(
            "expect_table_row_count_to_be_between",
            "row_count_band",
            "critical",
            min_value=_param("row_count_min"),
            max_value=_param("row_count_max"),
        ),
    ]
    if len(dt.key) == 1:
        out.append(_exp("expect_column_values_to_be_unique", "unique_key", "row", column=dt.key[0]))
    else:
        out.append(
            _exp(
                "expect_compound_columns_to_be_unique",
                "unique_key",
                "row",
                column_list=list(dt.key),
            )
        )
    for col in dt.columns:
        if not col.nullable:
            out.append(
                _exp(
                    "expect_column_values_to_not_be_null",
                    f"not_null:{col.name}",
                    "row",
                    column=col.name,
                )
            )
        if col.allowed:
            out.append(
                _exp(
                    "expect_column_values_to_be_in_set",
                    f"allowed:{col.name}",
                    "row",
                    column=col.name,
                    value_set=list(col.allowed),
                )
            )
        if col.min is not None or col.max is not None:
            out.append(
                _exp(
                    "expect_column_values_to_be_between",
                    f"range:{col.name}",
                    "row",
                    column=col.name,
                    min_value=col.min,
                    max_value=col.max,
                )
            )
        if col.format == "email":
            out.append(
                _exp(
                    "expect_column_values_to_match_regex",
                    f"format:{col.name}",
                    "row",
                    column=col.name,
                    regex=EMAIL_REGEX,
                )
            )
        if col.partition_time:
            out.append(
                _exp(
                    "expect_column_values_to_be_between",
                    f"partition_day:{col.name}",
                    "row",
                    column=col.name,
                    min_value=_param("window_start"),
                    max_value=_param("window_end"),
                )
            )
        elif col.dtype == "timestamp":
            out.append(
                _exp(
                    "expect_column_values_to_be_between",
                    f"not_future:{col.name}",
                    "row",
                    column=col.name,
                    max_value=_param("now"),
                )
            )
    for name, larger, smaller, rule in PAIR_RULES:
        if name == dt.name:
            out.append(
                _exp(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    rule,
                    "row",
                    column_A=larger,
                    column_B=smaller,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
            )
    return out


def build_suite(name: str):
    """The GX ExpectationSuite of a dataset (imports GX: call at task time only)."""
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    dt = dataset(name)
    suite = ExpectationSuite(
        name=f"alliance.{name}",
        meta={"generated_by": "python -m alliance_pipeline.validation.suites --write"},
    )
    for cfg in expectation_configs(dt):
        suite.add_expectation_configuration(ExpectationConfiguration(**cfg))
    return suite


def suite_json(name: str) -> str:
    body = build_suite(name).to_json_dict()
    body.pop("id", None)
    for exp in body["expectations"]:
        exp.pop("id", None)
    body["meta"].pop("great_expectations_version", None)
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def suite_path(name: str, directory: Path | None = None) -> Path:
    return (directory or EXPECTATIONS_DIR) / f"{name}.json"


def load_suite(name: str, directory: Path | None = None):
    """The committed suite of a dataset as a GX ExpectationSuite."""
    from great_expectations.core import ExpectationSuite

    return ExpectationSuite(**json.loads(suite_path(name, directory).read_text(encoding="utf-8")))


def stale_suites(directory: Path | None = None) -> list[str]:
    """Datasets whose committed suite differs from what the contracts generate."""
    stale = []
    for name in DATASETS:
        path = suite_path(name, directory)
        if not path.exists() or path.read_text(encoding="utf-8") != suite_json(name):
            stale.append(name)
    return stale


def write_suites(directory: Path | None = None) -> list[Path]:
    paths = []
    for name in DATASETS:
        path = suite_path(name, directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(suite_json(name), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate expectations/*.json")
    parser.add_argument("--check", action="store_true", help="exit 1 if a suite is stale")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.write:
        for path in write_suites(args.dir):
            print(path)
        return 0
    stale = stale_suites(args.dir)
    if stale:
        print("stale suites: " + ", ".join(stale), file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
