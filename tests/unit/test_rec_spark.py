"""Recommendation transforms on hand-made frames, and the job end to end on a planted sample."""

import datetime
import importlib.util
import json
import shutil

import pandas as pd
import pyspark
import pytest
from pyspark.sql import Row, Window
from pyspark.sql import functions as F

from alliance_pipeline.config import RecommendationConfig, TuningConfig
from alliance_pipeline.lake import paths
from alliance_pipeline.recommendation import (
    evaluate,
    factor_scoring,
    indexing,
    interactions,
    metrics,
    scoring,
)
from alliance_pipeline.recommendation.publish import publish_recommendations
from alliance_pipeline.recommendation.run import run
from alliance_pipeline.recommendation.sample import (
    planted,
    write_clean,
    write_curated,
    write_sample,
)
from alliance_pipeline.settings import JOBS_DIR
from tests.fixtures.spark import jvm_log
from tests.unit.test_rec_publish import migrated

pytestmark = [pytest.mark.unit, pytest.mark.spark]
DS = "2026-11-23"


def ts(day: str, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


def test_python_and_jvm_spark_are_one_version(spark):
    """The recommender's Arrow batches (mapInPandas) need PySpark's Python side to match the
    jars (pyspark-client, a dependency of the Spark provider, ships another version)."""
    assert pyspark.__version__ == spark.version


def test_confidence_weights_event_strength_and_latest_order_version(spark):
    w = RecommendationConfig().event_weights
    events = spark.createDataFrame(
        [
            Row(person_key="p", content_id="a", event_type="view", event_at=ts("2026-11-20")),
            Row(person_key="p", content_id="a", event_type="complete", event_at=ts("2026-11-21")),
            Row(person_key="p", content_id="b", event_type="favorite", event_at=ts("2026-11-22")),
            Row(
                person_key="p", content_id="b", event_type="view", event_at=ts("2026-10-01")
            ),  # old
            Row(person_key="p", content_id="c", event_type="unknown", event_at=ts("2026-11-22")),
        ]
    )
    order = dict(source="platform", person_key="p", ordered_at=ts("2026-11-22"))
    orders = spark.createDataFrame(
        [
            Row(
                order_id="o1",
                content_id="a",
                status="paid",
                updated_at=ts("2026-11-22"),
                dt=datetime.date(2026, 11, 22),
                **order,
            ),
            Row(
                order_id="o2",
                content_id="d",
                status="paid",
                updated_at=ts("2026-11-22"),
                dt=datetime.date(2026, 11, 22),
                **order,
            ),
            # o2 re-delivered refunded: the latest version wins, so no purchase and no ownership
            Row(
                order_id="o2",
                content_id="d",
                status="refunded",
                updated_at=ts("2026-11-23"),
                dt=datetime.date(2026, 11, 23),
                **order,
            ),
        ]
    )
    weighted = interactions.weighted_events(events, orders, w)
    first, last = interactions.window_bounds(DS, 30)
    got = {
        r.content_id: r.confidence for r in interactions.confidence(weighted, first, last).collect()
    }
    assert got == {
        "a": pytest.approx(w["view"] + w["complete"] + w["purchase"]),
        "b": pytest.approx(w["favorite"]),
    }
    assert got["a"] > got["b"]
    assert [r.content_id for r in interactions.owned(orders).collect()] == ["a"]


def test_index_keeps_ids_and_appends_new_keys_above_the_max(spark):
    previous = spark.createDataFrame(
        [("person", "p1", 0), ("person", "p2", 1), ("content", "c9", 4)], indexing.INDEX_SCHEMA
    )
    keys = lambda *ks: spark.createDataFrame([(k,) for k in ks], ["key"])  # ruff: ignore[lambda-assignment]
    index = indexing.build_index(previous, keys("p2", "p0", "p3", "p1"), keys("c1", "c9"))
    got = {(r.entity, r.key): r.idx for r in index.collect()}
    assert got == {
        ("person", "p1"): 0,
        ("person", "p2"): 1,
        ("person", "p0"): 2,
        ("person", "p3"): 3,
        ("content", "c9"): 4,
        ("content", "c1"): 5,
    }
    again = indexing.build_index(index, keys("p3", "p0"), keys("c1"))
    assert {(r.entity, r.key): r.idx for r in again.collect()} == got


def test_index_numbers_new_keys_by_rank_whatever_the_partitioning(spark):
    keys = sorted([f"k{i:03d}" for i in range(200)] + ["a", "k", "k1", "k10x", "z"])
    shuffled = spark.createDataFrame([(k,) for k in reversed(keys)] * 2, ["key"])
    for parts in (1, 7):
        got = indexing.positions(shuffled.repartition(parts)).collect()
        assert sorted((r.pos, r.key) for r in got) == list(enumerate(keys))


def test_top_n_quota_consent_and_owned_content(spark):
    catalog = spark.createDataFrame(
        [
            ("own1", "platform", None),
            ("own2", "platform", None),
            ("own3", "platform", None),
            ("cob", "moonbay", "platform;tidewave"),  # co-branded with the home source: own brand
            ("x1", "moonbay", None),
            ("x2", "tidewave", ""),
            ("x3", "lumen", None),
        ],
        "content_id string, owner_source string, co_brand_partners string",
    )
    scores = {"own1": 0.9, "own2": 0.8, "own3": 0.7, "cob": 0.65, "x1": 0.5, "x2": 0.4, "x3": 0.3}
    popular = spark.createDataFrame(  # "gone" is not in tonight's catalog
        [("s", c, s) for c, s in {**scores, "gone": 0.95}.items()],
        "segment string, content_id string, score double",
    )
    persons = spark.createDataFrame(
        [("yes", "platform", True, "s"), ("no", "platform", False, "s")],
        "person_key string, home_source string, marketing_consent boolean, segment string",
    )
    owned = spark.createDataFrame([("yes", "own2")], "person_key string, content_id string")
    top = factor_scoring.popular_lists(
        persons,
        popular,
        scoring.item_brands(catalog),
        owned,
        n=4,
        quota=scoring.quota(4, 0.5),
        pool=100,
    )
    lists = {
        p: [
            (r.content_id, r.cross_brand)
            for r in top.where(F.col("person_key") == p).orderBy("rank").collect()
        ]
        for p in ("yes", "no")
    }
    # quota ceil(0.5 * 4) = 2 best cross-brand items; the rest by score; own2 is owned
    assert lists["yes"] == [("own1", False), ("own3", False), ("x1", True), ("x2", True)]
    # no consent: no cross-brand item at all, however good its score
    assert lists["no"] == [("own1", False), ("own2", False), ("own3", False), ("cob", False)]
    ranks = [r.rank for r in top.where("person_key = 'yes'").orderBy("score").collect()]
    assert ranks == [4, 3, 2, 1]


def test_cold_start_gets_the_segments_popular_items(spark):
    touched = spark.createDataFrame(
        [("a1", "s0x"), ("a2", "s0x"), ("a2", "s0y"), ("b1", "s1x"), ("b2", "s1x"), ("b1", "s0y")],
        "person_key string, content_id string",
    )
    segments = spark.createDataFrame(
        [("a1", 0), ("a2", 0), ("b1", 1), ("b2", 1), ("new0", 0), ("new1", 1)],
        "person_key string, segment_id int",
    )
    got = scoring.segment_popular(segments, touched).collect()
    assert sorted((r.segment, r.content_id, r.score) for r in got) == [
        ("0", "s0x", pytest.approx(2 / 3)),  # a1 and a2 of segment 0's a1, a2, new0
        ("0", "s0y", pytest.approx(1 / 3)),
        ("0", "s1x", pytest.approx(0.5 / 4)),  # nobody of 0: everyone's share / (3 + 1)
        ("1", "s0x", pytest.approx(0.5 / 4)),
        ("1", "s0y", pytest.approx(1 / 3)),
        ("1", "s1x", pytest.approx(2 / 3)),
        (scoring.ALL_PERSONS, "s0x", 0.5),  # everyone's: 2 of the 4 persons who touched any
        (scoring.ALL_PERSONS, "s0y", 0.5),
        (scoring.ALL_PERSONS, "s1x", 0.5),
    ]


def test_spark_metrics_use_the_numpy_definitions(spark):
    recs = {1: [10, 11, 12, 13], 2: [20, 21, 22, 23], 3: [30, 31]}
    rel = {1: {11, 13, 14}, 2: {20}, 3: {99}, 4: {40}}  # person 4 gets no list at all
    recs_df = spark.createDataFrame(list(recs.items()), "user int, rec array<int>")
    rel_df = spark.createDataFrame(
        [(u, sorted(r)) for u, r in rel.items()], "user int, rel array<int>"
    )
    got = evaluate.ranking_metrics(recs_df, rel_df, k=3, catalog_size=20)
    want = metrics.mean_metrics(
        [(recs.get(u, []), r) for u, r in rel.items()], k=3, catalog_size=20
    )
    assert got == pytest.approx(want)


WINDOW_LOGGER = "org.apache.spark.sql.execution.window.WindowExec"


@pytest.mark.timeout(600)  # one run of the recommender: minutes on a loaded machine
def test_the_run_plans_no_window_without_a_partition(spark):
    """Spark warns when it plans a window over all rows (one task gets every row)."""
    with jvm_log(spark, WINDOW_LOGGER) as control:
        spark.range(3).select(F.row_number().over(Window.orderBy("id"))).collect()
    assert any("No Partition Defined" in m for m in control)  # the warning is seen

    s = planted(DS, persons=30, items=30)
    frame = lambda df: spark.createDataFrame(df)  # ruff: ignore[lambda-assignment]
    orders = s.orders[
        [
            "source",
            "order_id",
            "person_key",
            "content_id",
            "status",
            "ordered_at",
            "updated_at",
            "dt",
        ]
    ]
    params = RecommendationConfig(  # a one-point tuning grid: the search plans windows too
        lookback_days=60,
        holdout_days=7,
        rank=2,
        max_iter=1,
        k=3,
        top_n=3,
        tuning=TuningConfig(validation_days=7, ranks=[2], reg_params=[0.1], alphas=[1.0]),
    )
    with jvm_log(spark, WINDOW_LOGGER) as warnings:
        out = run(
            frame(s.events[["person_key", "content_id", "event_type", "event_at"]]),
            frame(orders),
            spark.createDataFrame(
                s.catalog[["content_id", "owner_source", "co_brand_partners"]],
                "content_id string, owner_source string, co_brand_partners string",
            ),
            frame(s.persons[["person_key", "home_source", "marketing_consent"]]),
            frame(s.segments[["person_key", "segment_id"]]),
            spark.createDataFrame([], indexing.INDEX_SCHEMA),
            DS,
            params,
        )
        assert out.recommendations.count() > 0
    assert not [m for m in warnings if "No Partition Defined" in m]


def load_job():
    spec = importlib.util.spec_from_file_location("recommend_job", JOBS_DIR / "recommend.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def warehouse(tmp_path):
    return migrated(f"duckdb:///{tmp_path / 'wh.duckdb'}", tmp_path)


def partition(root, dataset, dt) -> pd.DataFrame:
    return pd.read_parquet(paths.partition(dataset, root, run_date=dt))


# Two nights of the job and a rerun: ~55 s each on two idle cores, more on a shared machine.
@pytest.mark.timeout(900)
def test_job_publishes_als_that_beats_popularity_and_the_gate_keeps_it(spark, tmp_path, warehouse):
    job = load_job()
    root = tmp_path / "lake"
    sample = planted(DS, items=33, hits=3)  # 3 items everyone likes: popularity is no straw man
    write_sample(root, sample, DS)
    tuning = {"every_days": 7, "validation_days": 7, "ranks": [1, 8], "reg_params": [0.1],
              "alphas": [1.0]}  # fmt: skip
    base = [
        "--lake-root",
        str(root),
        "--param",
        "lookback_days=60",
        "--param",
        "holdout_days=7",  # the planted sample holds out its last 7 days
        "--param",
        "rank=2",  # the committed starting point; the first night tunes
        "--param",
        f"tuning={json.dumps(tuning)}",
        "--param",
        "max_iter=5",
        "--param",
        "k=5",
        "--param",
        "top_n=5",
    ]
    assert job.main(["--dt", DS, *base]) == 0

    ev = partition(root, paths.MODEL_EVALUATION, DS).set_index("model")
    assert ev.loc["als", "persons"] == 60
    assert ev.loc["als", "ndcg"] > ev.loc["popularity", "ndcg"] + 0.1  # the planted groups
    assert ev.loc["als_shipped", "ndcg"] > ev.loc["popularity", "ndcg"]
    # the first night tuned: rank 1 cannot tell the taste groups apart, rank 8 can
    grid = partition(root, paths.REC_TUNING, DS).set_index("rank")
    assert grid.loc[8, "chosen"] and not grid.loc[1, "chosen"]
    assert grid.loc[8, "ndcg"] > grid.loc[1, "ndcg"] and (grid.persons > 0).all()
    assert (grid.tuned_on == datetime.date(2026, 11, 23)).all()
    assert json.loads(ev.loc["als_tuning", "params"])["chosen"]["rank"] == 8
    assert ev.loc["als_tuning", "ndcg"] == pytest.approx(grid.loc[8, "ndcg"])
    assert json.loads(ev.loc["als", "params"])["rank"] == 8  # the night's model used it
    first = publish_recommendations(warehouse, DS, root)
    assert first.published, first.reason

    recs = warehouse.query_df("SELECT * FROM mart.recommendation")
    people = sample.persons.set_index("person_key")
    recs = recs.join(people, on="person_key")
    sizes = recs.groupby("person_key").size()
    consenting = people.marketing_consent[sizes.index]
    assert set(sizes[consenting]) == {5}  # without consent: own-brand items only, maybe fewer
    assert sizes.max() == 5
    assert set(recs.loc[recs.reason == "segment_popular", "person_key"]) == set(people.index[60:])
    cross = recs.item_source != recs.home_source  # sample items are never co-branded
    assert not cross[~recs.marketing_consent].any()
    consenting_als = recs[recs.marketing_consent & (recs.reason == "als")]
    assert (
        cross[consenting_als.index].groupby(consenting_als.person_key).sum() >= 2
    ).all()  # ceil(0.3*5)
    owned = set(zip(sample.orders.person_key, sample.orders.content_id, strict=True))
    engaged = set(zip(sample.events.person_key, sample.events.content_id, strict=True))
    assert not (owned | engaged) & set(zip(recs.person_key, recs.content_id, strict=True))
    # the planted taste groups, not global popularity: a list holds as many of the person's
    # own-group items as are left to them (seen and owned ones are excluded)
    als = recs[recs.reason == "als"]
    taken = owned | engaged
    groups = pd.Series(sample.item_group)
    mine = possible = 0
    for p, got in als.groupby("person_key").content_id:
        left = {c for c in groups.index[groups == sample.person_group[p]] if (p, c) not in taken}
        mine += sum(c in left for c in got)
        possible += min(len(left), len(got))
    assert mine / possible > 0.6  # the quota's cross-brand places may take some

    # the next night: a model made worse on purpose must not replace the published lists
    nxt = "2026-11-24"
    sample.catalog["dt"] = datetime.date(2026, 11, 24)
    write_clean(root, "catalog", sample.catalog)
    write_curated(root, paths.PERSONS, sample.persons, dt=nxt)
    write_curated(root, paths.PERSON_SEGMENT, sample.segments, run_date=nxt)
    bad = ["--param", "max_iter=0"]  # never trained: the random initial factors
    # what a person owns now comes from the first night's order state, not from old orders
    shutil.rmtree(paths.path(paths.clean("orders"), root))
    assert job.main(["--dt", nxt, *base, *bad]) == 0
    second = publish_recommendations(warehouse, nxt, root)
    assert not second.published
    assert "kept the last published set" in second.reason
    current = warehouse.query("SELECT DISTINCT run_date FROM mart.recommendation_current")
    assert current == [(datetime.date(2026, 11, 23),)]
    gate_rows = warehouse.query(
        "SELECT run_date, model, published FROM mart.model_evaluation"
        " WHERE family = 'recommendation' ORDER BY 1, 2"
    )
    assert [r[1:] for r in gate_rows] == [
        ("als", True), ("als_shipped", True), ("als_tuning", True), ("popularity", True),
        ("als", False), ("als_shipped", False), ("popularity", False),
    ]  # fmt: skip
    # not a tuning night: the first night's choice, read from its partition
    kept = partition(root, paths.REC_TUNING, nxt)
    assert kept[["rank", "chosen", "tuned_on"]].values.tolist() == [
        [8, True, datetime.date(2026, 11, 23)]
    ]
    later_ev = partition(root, paths.MODEL_EVALUATION, nxt).set_index("model")
    assert json.loads(later_ev.loc["als", "params"])["tuned_on"] == DS

    # a rerun of the night replaces its partitions with the same rows
    outputs = (paths.RECOMMENDATIONS, paths.MODEL_EVALUATION, paths.REC_TUNING, paths.REC_INDEX)
    before = {d: partition(root, d, nxt) for d in outputs}
    assert job.main(["--dt", nxt, *base, *bad]) == 0
    for d in outputs:
        cols = list(before[d].columns)
        again = partition(root, d, nxt)
        pd.testing.assert_frame_equal(
            again.sort_values(cols).reset_index(drop=True),
            before[d].sort_values(cols).reset_index(drop=True),
            check_exact=False,
        )
    assert publish_recommendations(warehouse, nxt, root).rows == 0
    assert warehouse.query(
        "SELECT COUNT(*) FROM mart.model_evaluation WHERE family = 'recommendation'"
    ) == [(7,)]

    index = pd.read_parquet(paths.path(paths.REC_INDEX, root))
    per_run = index.pivot_table(
        index=["entity", "key"], columns="run_date", values="idx", observed=True
    )
    assert (per_run.iloc[:, 0] == per_run.iloc[:, 1]).all()  # ids stable across runs

    state = pd.read_parquet(paths.path(paths.REC_ORDER_STATE, root))
    assert state.groupby("run_date", observed=True).size().tolist() == [len(sample.orders)] * 2
    later = partition(root, paths.RECOMMENDATIONS, nxt)
    assert not owned & set(zip(later.person_key, later.content_id, strict=True))
