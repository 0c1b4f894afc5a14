"""The recommendation job's lists follow the experiment's assignment: a popularity variant's
persons get their segment's popular lists, the control keeps the night's own."""

import datetime

import pytest

from alliance_pipeline.config import RecommendationConfig, TuningConfig
from alliance_pipeline.experiments.assignment import variant_of
from alliance_pipeline.experiments.registry import parse_experiment
from alliance_pipeline.recommendation import indexing
from alliance_pipeline.recommendation.run import run
from alliance_pipeline.recommendation.sample import planted

pytestmark = [pytest.mark.unit, pytest.mark.spark]
DS = "2026-11-23"
EXPERIMENT = parse_experiment(
    {
        "id": "rec_popular",
        "kind": "recommendation",
        "hypothesis": "h",
        "salt": "rec-popular-salt",
        "start_date": datetime.date(2026, 11, 1),
        "end_date": datetime.date(2026, 11, 30),
        "variants": [
            {"id": "control", "weight": 0.5, "control": True},
            {"id": "popular", "weight": 0.5, "changes": {"strategy": "popularity"}},
        ],
        "primary_metric": "orders_per_person",
        "minimum_detectable_effect": 0.1,
    }
)


# One run of the recommender (~30 s on idle cores; several minutes on a loaded machine).
@pytest.mark.timeout(600)
def test_each_variant_gets_its_own_lists(spark):
    s = planted(DS, persons=30, items=12)
    frame = spark.createDataFrame
    params = RecommendationConfig(
        lookback_days=60,
        holdout_days=7,
        rank=2,
        max_iter=1,
        k=3,
        top_n=3,
        tuning=TuningConfig(every_days=0),
    )
    out = run(
        frame(s.events[["person_key", "content_id", "event_type", "event_at"]]),
        frame(
            s.orders[
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
        ),
        spark.createDataFrame(
            s.catalog[["content_id", "owner_source", "co_brand_partners"]],
            "content_id string, owner_source string, co_brand_partners string",
        ),
        frame(s.persons[["person_key", "home_source", "marketing_consent"]]),
        frame(s.segments[["person_key", "segment_id"]]),
        spark.createDataFrame([], indexing.INDEX_SCHEMA),
        DS,
        params,
        EXPERIMENT,
    ).recommendations.toPandas()
    reasons = out.groupby("person_key")["reason"].agg(set)
    arm = {p: variant_of(p, EXPERIMENT) for p in s.persons["person_key"]}
    # the popularity variant's persons, known well to the model or not, all get a list
    assert {p for p, v in arm.items() if v == "popular"} <= set(reasons.index)
    assert out.groupby("person_key").size().max() <= params.top_n
    assert not out.duplicated(["person_key", "rank"]).any()
    assert set(arm.values()) == {"control", "popular"}
    # the popularity variant: every list is the segment's popular items; the control keeps
    # the night's lists, ALS for the persons the model knows well enough
    assert all(reasons[p] == {"segment_popular"} for p in reasons.index if arm[p] == "popular")
    assert any("als" in reasons[p] for p in reasons.index if arm[p] == "control")
