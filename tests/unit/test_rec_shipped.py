"""The gate judges the lists as shipped: one exclusion rule for evaluation and scoring, lists of
N whenever N candidates exist, and a run whose shipped lists only tie popularity kept back."""

import datetime

import pandas as pd
import pytest

from alliance_pipeline.config import RecommendationConfig, TuningConfig
from alliance_pipeline.recommendation import indexing, interactions, scoring, train
from alliance_pipeline.recommendation.publish import gate
from alliance_pipeline.recommendation.run import run
from alliance_pipeline.recommendation.sample import planted

pytestmark = [pytest.mark.unit, pytest.mark.spark]
DS = "2026-11-23"
ORDER_COLUMNS = [
    "source",
    "order_id",
    "person_key",
    "content_id",
    "status",
    "ordered_at",
    "updated_at",
    "dt",
]
NO_TUNING = TuningConfig(every_days=0)


def at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T04:00:00+00:00")


def run_planted(spark, sample, params, segments=None):
    frame = spark.createDataFrame
    return run(
        frame(sample.events[["person_key", "content_id", "event_type", "event_at"]]),
        frame(sample.orders[ORDER_COLUMNS]),
        frame(
            sample.catalog[["content_id", "owner_source", "co_brand_partners"]],
            "content_id string, owner_source string, co_brand_partners string",
        ),
        frame(sample.persons[["person_key", "home_source", "marketing_consent"]]),
        frame(sample.segments[["person_key", "segment_id"]]) if segments is None else segments,
        spark.createDataFrame([], indexing.INDEX_SCHEMA),
        DS,
        params,
    )


@pytest.mark.timeout(600)  # seconds on idle cores; minutes on a loaded machine
def test_a_heavy_user_still_gets_n_items_whatever_the_pool(spark):
    """h has engaged with 8 of 12 items and owns a 9th from an order before the window: the
    three others make the list of 3, from the model and from cold start, even with a pool of 1
    (a pool cut before the exclusions left h one item or none)."""
    items = [f"c{i:02d}" for i in range(12)]
    events = spark.createDataFrame(
        [("h", c, "play", at("2026-11-20")) for c in items[:8]]
        + [(p, c, "view", at("2026-11-21")) for p in ("a", "b", "d") for c in items],
        "person_key string, content_id string, event_type string, event_at timestamp",
    )
    orders = spark.createDataFrame(
        [
            (
                "platform",
                "o1",
                "h",
                "c08",
                "paid",
                at("2026-01-05"),
                at("2026-01-05"),
                datetime.date(2026, 1, 5),
            )
        ],
        "source string, order_id string, person_key string, content_id string, status string,"
        " ordered_at timestamp, updated_at timestamp, dt date",
    )
    weighted = interactions.weighted_events(events, orders, RecommendationConfig().event_weights)
    first, last = interactions.window_bounds(DS, 30)
    window = interactions.confidence(weighted, first, last)
    persons_ids = [("person", p, i) for i, p in enumerate(["a", "b", "d", "h"])]
    index = spark.createDataFrame(
        persons_ids + [("content", c, i) for i, c in enumerate(items)], indexing.INDEX_SCHEMA
    )
    model = train.fit(indexing.indexed(window, index), RecommendationConfig(rank=2, max_iter=2), 1)
    catalog = spark.createDataFrame(
        [(c, "platform", None) for c in items],
        "content_id string, owner_source string, co_brand_partners string",
    )
    persons = spark.createDataFrame(
        [("h", "platform", True)],
        "person_key string, home_source string, marketing_consent boolean",
    )
    excluded = interactions.excluded(weighted, orders, first, last)
    segments = spark.createDataFrame([], "person_key string, segment_id int")
    for history in (1, 100):  # h is warm (ALS), then cold (everyone's popular items)
        got = scoring.recommend(
            model,
            index,
            persons,
            segments,
            catalog,
            scoring.segment_popular(segments, window),
            window,
            excluded,
            n=3,
            share=0.3,
            pool=1,
            min_history=history,
        )
        assert sorted(r.content_id for r in got.collect()) == ["c09", "c10", "c11"]


@pytest.mark.timeout(600)
def test_evaluation_and_the_published_lists_share_one_exclusion_rule(spark):
    """With no quota, everyone consenting and warm, the shipped lists are the model's lists:
    the two evaluation rows agree only if both exclude the same items. The published lists
    hold none of what the rule excludes tonight, and N items each."""
    sample = planted(DS, persons=30, items=30)
    sample.persons["marketing_consent"] = True
    params = RecommendationConfig(
        lookback_days=60,
        holdout_days=7,
        rank=2,
        max_iter=2,
        k=3,
        top_n=3,
        cross_brand_share=0.0,
        min_history=1,
        tuning=NO_TUNING,
    )
    out = run_planted(spark, sample, params)
    ev = pd.DataFrame(out.evaluation).set_index("model")
    assert ev.loc["als", "persons"] > 0
    metrics = ["persons", "precision", "recall", "ndcg", "map", "coverage"]
    assert ev.loc["als", metrics].tolist() == pytest.approx(ev.loc["als_shipped", metrics].tolist())

    frame = spark.createDataFrame
    weighted = interactions.weighted_events(
        frame(sample.events[["person_key", "content_id", "event_type", "event_at"]]),
        frame(sample.orders[ORDER_COLUMNS]),
        params.event_weights,
    )
    first, last = interactions.window_bounds(DS, params.lookback_days)
    rule = interactions.excluded(weighted, frame(sample.orders[ORDER_COLUMNS]), first, last)
    excluded = {(r.person_key, r.content_id) for r in rule.collect()}
    recs = out.recommendations.toPandas()
    assert excluded and not excluded & set(zip(recs.person_key, recs.content_id, strict=True))
    assert set(recs.groupby("person_key").size()) == {3}  # 30 items, at most 11 excluded


@pytest.mark.timeout(600)
def test_the_gate_judges_the_shipped_lists_not_the_model(spark):
    """ALS beats popularity, but nobody is warm enough for it and there are no segments: every
    shipped list is everyone's popular items, which only ties popularity: not published."""
    sample = planted(DS, items=33, hits=3)
    sample.persons["marketing_consent"] = True  # without: fewer items, lists worse than a tie
    params = RecommendationConfig(
        lookback_days=60,
        holdout_days=7,
        rank=8,
        max_iter=5,
        k=5,
        top_n=5,
        cross_brand_share=0.0,
        min_history=10**6,
        tuning=NO_TUNING,
    )
    nobody = spark.createDataFrame([], "person_key string, segment_id int")
    out = run_planted(spark, sample, params, segments=nobody)
    rows = pd.DataFrame(out.evaluation)
    ev = rows.set_index("model")
    assert ev.loc["als", "ndcg"] > ev.loc["popularity", "ndcg"] + 0.1
    assert ev.loc["als_shipped", "ndcg"] == pytest.approx(ev.loc["popularity", "ndcg"])
    published, reason = gate(rows)
    assert not published
    assert "shipped lists" in reason and "does not beat the baseline" in reason
