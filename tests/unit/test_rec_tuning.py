"""The tuning cadence and choice (pure rules); the search itself runs in test_rec_spark's job."""

import datetime

import pytest

from alliance_pipeline.config import RecommendationConfig, TuningConfig
from alliance_pipeline.recommendation.run import _tuned
from alliance_pipeline.recommendation.tuning import choose, due, grid

pytestmark = pytest.mark.unit
DS = "2026-11-23"
DAY = datetime.date(2026, 11, 23)


def point(rank, ndcg, persons=10):
    return {"rank": rank, "reg_param": 0.1, "alpha": 1.0, "persons": persons, "ndcg": ndcg}


def test_a_tuning_night_comes_every_every_days():
    assert due(None, DS, 7)  # never tuned
    assert due({"tuned_on": None}, DS, 7)  # the committed values, nobody judged yet
    assert not due({"tuned_on": DAY - datetime.timedelta(days=6)}, DS, 7)
    assert due({"tuned_on": DAY - datetime.timedelta(days=7)}, DS, 7)
    assert not due(None, DS, 0)  # 0: never


def test_the_best_judged_point_wins_ties_to_the_earlier():
    points = [point(4, 0.2), point(8, 0.3), point(16, 0.3), point(32, 0.9, persons=0)]
    assert choose(points)["rank"] == 8
    assert choose([point(4, 0.0, persons=0)]) is None


def test_grid_is_the_product_of_the_configured_values():
    params = RecommendationConfig(
        tuning=TuningConfig(ranks=[2, 3], reg_params=[0.1], alphas=[1, 5])
    )
    assert [(p["rank"], p["alpha"]) for p in grid(params)] == [
        (2, 1.0),
        (2, 5.0),
        (3, 1.0),
        (3, 5.0),
    ]


def test_between_tuning_nights_the_carried_choice_is_used():
    params = RecommendationConfig(rank=4)
    carried = {"rank": 16, "reg_param": 0.01, "alpha": 10.0, "tuned_on": DAY, "ndcg": 0.4}
    used, rows = _tuned([], carried, "2026-11-24", params)
    assert used == {"rank": 16, "reg_param": 0.01, "alpha": 10.0, "tuned_on": DAY}
    assert [r["chosen"] for r in rows] == [True] and rows[0]["ndcg"] == pytest.approx(0.4)
    # never tuned: the committed values, marked untuned so that the next night tunes
    used, rows = _tuned([], None, DS, params)
    assert (used["rank"], used["tuned_on"]) == (4, None)
    # a tuning night: its best point, every point written, one chosen
    used, rows = _tuned([point(4, 0.2), point(8, 0.3)], carried, DS, params)
    assert (used["rank"], used["tuned_on"]) == (8, DAY)
    assert [(r["rank"], r["chosen"]) for r in rows] == [(4, False), (8, True)]
