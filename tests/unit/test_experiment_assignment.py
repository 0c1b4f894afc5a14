"""Assignment is one rule in Python, Spark and DuckDB, stable, and follows the weights; the
registry refuses a wrong entry naming it; the generator's exposures use the same rule."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import replace

import duckdb
import numpy as np
import pytest
import yaml
from scipy import stats as st

from alliance_pipeline.experiments.assignment import (
    bucket,
    spark_variant,
    sql_variant,
    variant_of,
)
from alliance_pipeline.experiments.registry import (
    ExperimentRegistryError,
    load_experiments,
    parse_experiment,
)
from alliance_pipeline.generator import GeneratorConfig
from alliance_pipeline.generator import experiments as gx
from alliance_pipeline.generator.world import build_world

pytestmark = pytest.mark.unit

ENTRY = {
    "id": "three_way",
    "kind": "recommendation",
    "hypothesis": "h",
    "salt": "three-way-salt",
    "start_date": "2026-11-01",
    "end_date": "2026-11-30",
    "variants": [
        {"id": "control", "weight": 0.5, "control": True},
        {"id": "popular", "weight": 0.3, "changes": {"strategy": "popularity"}},
        {"id": "wide", "weight": 0.2, "changes": {"cross_brand_share": 0.6}},
    ],
    "primary_metric": "conversion",
    "minimum_detectable_effect": 0.05,
}
KEYS = [hashlib.sha256(f"person-{i}".encode()).hexdigest() for i in range(4000)]


@pytest.fixture(scope="module")
def experiment():
    return parse_experiment(ENTRY)


def test_a_person_keeps_their_variant(experiment):
    first = [variant_of(k, experiment) for k in KEYS]
    assert first == [variant_of(k, parse_experiment(dict(ENTRY))) for k in KEYS]
    # the rule itself: the first 32 bits of SHA-256("salt:person_key"), cut at the weights
    k = KEYS[0]
    assert bucket(k, "three-way-salt") == int(
        hashlib.sha256(f"three-way-salt:{k}".encode()).hexdigest()[:8], 16
    )
    # another salt is another, independent split
    other = parse_experiment({**ENTRY, "salt": "another-salt"})
    agree = np.mean([variant_of(k, other) == v for k, v in zip(KEYS, first, strict=True)])
    assert agree == pytest.approx(0.5**2 + 0.3**2 + 0.2**2, abs=0.03)


def test_split_follows_the_weights(experiment):
    got = [variant_of(k, experiment) for k in KEYS]
    counts = [got.count(v.id) for v in experiment.variants]
    expected = [v.weight * len(KEYS) for v in experiment.variants]
    assert st.chisquare(counts, expected).pvalue > 0.001


def test_duckdb_assigns_like_python(experiment):
    con = duckdb.connect()
    con.execute("CREATE TABLE k (person_key VARCHAR)")
    con.executemany("INSERT INTO k VALUES (?)", [[k] for k in KEYS])
    got = con.execute(
        f"SELECT person_key, {sql_variant('person_key', experiment)} FROM k"
    ).fetchall()
    assert dict(got) == {k: variant_of(k, experiment) for k in KEYS}


@pytest.mark.spark
def test_spark_assigns_like_python(spark, experiment):
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(k,) for k in KEYS], "person_key string")
    got = df.select("person_key", spark_variant(F.col("person_key"), experiment).alias("v"))
    assert {r.person_key: r.v for r in got.collect()} == {
        k: variant_of(k, experiment) for k in KEYS
    }


def test_committed_registry_loads():
    experiments = load_experiments()
    assert experiments and all(e.control for e in experiments)


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"variants": ENTRY["variants"][:1]}, "two or more variants"),
        ({"variants": [{**v, "control": False} for v in ENTRY["variants"]]}, "exactly one"),
        ({"variants": [{**v, "weight": 0.4} for v in ENTRY["variants"]]}, "sum to 1"),
        ({"primary_metric": "happiness"}, "unknown metric 'happiness'"),
        ({"end_date": "2026-10-01"}, "end_date is before start_date"),
        ({"variants": [*ENTRY["variants"][:2], {"id": "x", "weight": 0.2,
                                                 "changes": {"colour": "red"}}]},
         "unknown recommendation change"),
        ({"salt": "short"}, "salt"),
        ({"owner": "me"}, "owner"),
    ],
)  # fmt: skip
def test_a_wrong_entry_is_named(tmp_path, change, rule):
    path = tmp_path / "experiments.yml"
    entry = {**ENTRY, **change}
    path.write_text(yaml.safe_dump({"experiments": [entry]}, default_flow_style=False))
    with pytest.raises(
        ExperimentRegistryError, match=rf"experiments.yml: experiment 'three_way'.*{rule}"
    ):
        load_experiments(path)


def test_two_experiments_may_not_share_a_salt(tmp_path):
    path = tmp_path / "experiments.yml"
    path.write_text(yaml.safe_dump({"experiments": [ENTRY, {**ENTRY, "id": "again"}]}))
    with pytest.raises(ExperimentRegistryError, match="share a salt"):
        load_experiments(path)


def test_generator_exposes_with_the_pipeline_assignment_and_keeps_other_outputs(tmp_path):
    registry = tmp_path / "experiments.yml"
    entry = {**ENTRY, "start_date": "2026-11-20", "end_date": "2026-12-31"}
    registry.write_text(yaml.safe_dump({"experiments": [entry]}))
    none = tmp_path / "none.yml"
    none.write_text("experiments: []\n")
    end = datetime.date(2026, 11, 23)
    cfg = GeneratorConfig(persons=2000, days=3, end_date=end, orders_per_person_day=0.1)
    with_exp = build_world(replace(cfg, experiments=registry, planted_lift=0.5))
    without = build_world(replace(cfg, experiments=none))
    m = with_exp.members["platform"]
    x = with_exp.exposures
    keys = gx.member_person_keys(m, x.member, gx.development_key())
    exp = with_exp.experiments[0]
    assert x.member.size > 100
    assert x.variant == [variant_of(k, exp) for k in keys]
    # partners' data are untouched; the platform's orders only gain the planted repeats
    for sid in with_exp.orders:
        a, b = with_exp.orders[sid], without.orders[sid]
        if sid != "platform":
            assert np.array_equal(a.order_no, b.order_no)
            continue
        old = np.isin(a.order_no, b.order_no)
        assert np.array_equal(a.order_no[old], b.order_no) and (~old).sum() > 0
        assert np.array_equal(a.ordered_us[old], b.ordered_us)
    assert without.exposures.member.size == 0
