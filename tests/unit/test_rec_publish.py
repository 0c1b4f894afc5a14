"""The publish gate on both warehouse dialects, from hand-made curated partitions."""

import datetime
import shutil

import pandas as pd
import pytest

from alliance_pipeline.lake.paths import MODEL_EVALUATION, RECOMMENDATIONS
from alliance_pipeline.recommendation.publish import gate, publish_recommendations
from alliance_pipeline.recommendation.run import unevaluated
from alliance_pipeline.recommendation.sample import write_curated
from alliance_pipeline.settings import MIGRATIONS_DIR
from alliance_pipeline.warehouse import open_warehouse

pytestmark = pytest.mark.unit


def evaluation(shipped_ndcg: float, pop_ndcg: float = 0.3, als_ndcg: float = 0.5) -> pd.DataFrame:
    row = dict(k=10, persons=50, precision=0.1, recall=0.2, map=0.1, coverage=0.5, params="{}")
    return pd.DataFrame(
        [
            dict(row, model="als_shipped", ndcg=shipped_ndcg),
            dict(row, model="als", ndcg=als_ndcg),
            dict(row, model="popularity", ndcg=pop_ndcg),
        ]
    )


def recs(content: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_key": ["a" * 64, "a" * 64],
            "rank": [1, 2],
            "content_id": [content, "c2"],
            "score": [0.9, 0.8],
            "item_source": ["platform", "moonbay"],
            "reason": ["als", "als"],
            "cross_brand": [False, True],
        }
    )


def test_gate_needs_the_shipped_lists_to_beat_the_baseline():
    assert gate(evaluation(0.31))[0]
    assert not gate(evaluation(0.30))[0]  # a tie keeps the last published set
    assert not gate(evaluation(0.2, als_ndcg=0.9))[0]  # the model alone does not count
    assert not gate(evaluation(0.5).assign(persons=0))[0]
    assert not gate(evaluation(0.5).query("model != 'als_shipped'"))[0]


def test_a_run_without_training_days_is_not_published():
    """The first nights: every interaction lies in the holdout days, so nothing was evaluated."""
    rows = pd.DataFrame([unevaluated(m, 10) for m in ("als_shipped", "als", "popularity")])
    assert gate(rows) == (False, "no person with held-out interactions to evaluate on")


# the recommendation marts and mart.model_evaluation as it is now (both families, 750)
EVALUATION_MIGRATIONS = ("4??", "710", "720", "750")


def migrated(url, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    for pattern in EVALUATION_MIGRATIONS:
        for f in MIGRATIONS_DIR.glob(f"{pattern}_*.sql"):
            shutil.copy(f, folder)
    wh = open_warehouse(url)
    wh.migrate(folder)
    return wh


def check_gate_keeps_the_previous_set(wh, lake):
    write_curated(lake, MODEL_EVALUATION, evaluation(0.4), run_date="2026-11-23")
    write_curated(lake, RECOMMENDATIONS, recs("good"), run_date="2026-11-23")
    assert publish_recommendations(wh, "2026-11-23", lake).rows == 2
    write_curated(lake, MODEL_EVALUATION, evaluation(0.2), run_date="2026-11-24")
    write_curated(lake, RECOMMENDATIONS, recs("worse"), run_date="2026-11-24")
    result = publish_recommendations(wh, "2026-11-24", lake)
    assert (result.published, result.rows) == (False, 0)
    assert "shipped lists NDCG@10 0.2000 vs popularity 0.3000" in result.reason
    current = wh.query("SELECT run_date, content_id FROM mart.recommendation_current ORDER BY 2")
    assert current == [(datetime.date(2026, 11, 23), "c2"), (datetime.date(2026, 11, 23), "good")]
    flags = wh.query(
        "SELECT run_date, model, published FROM mart.model_evaluation"
        " WHERE family = 'recommendation' ORDER BY 1, 2"
    )
    assert [f[2] for f in flags] == [True] * 3 + [False] * 3
    assert publish_recommendations(wh, "2026-11-24", lake).rows == 0  # a rerun changes nothing
    assert wh.query("SELECT COUNT(*) FROM mart.model_evaluation") == [(6,)]
    assert wh.query("SELECT DISTINCT family, target FROM mart.model_evaluation") == [
        ("recommendation", "item")
    ]


def test_gate_keeps_the_previous_set_duckdb(tmp_path):
    wh = migrated(f"duckdb:///{tmp_path / 'wh.duckdb'}", tmp_path)
    check_gate_keeps_the_previous_set(wh, tmp_path / "lake")
