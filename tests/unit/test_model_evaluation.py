"""mart.model_evaluation holds every model's evaluation: the recommender's and the propensity
publisher's rows of one night side by side, each rerun replacing only its own family's rows;
mart.propensity_evaluation is the view of the propensity rows; migration 750 carries the rows of
the two tables it merged."""

import datetime
import shutil

import numpy as np
import pandas as pd
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.propensity.publish import publish_propensity
from alliance_pipeline.recommendation.publish import publish_recommendations
from alliance_pipeline.recommendation.sample import write_curated
from alliance_pipeline.settings import MIGRATIONS_DIR
from alliance_pipeline.warehouse import open_warehouse
from tests.unit.test_rec_publish import evaluation, migrated, recs

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]
DT = "2026-11-23"
DAY = datetime.date.fromisoformat(DT)


def propensity_evaluation(models=("baseline", "gbt"), chosen="gbt") -> pd.DataFrame:
    """curated/propensity_evaluation of a night: every model on both targets."""
    rows = [
        {"target": t, "model": m, "pairs": 100, "positives": 9, "roc_auc": 0.6 + 0.1 * i,
         "pr_auc": 0.1, "log_loss": 0.3, "top_decile_lift": 1.5, "chosen": m == chosen,
         "published": chosen is not None, "reason": f"{chosen} chosen",
         "scoring_model": chosen or "baseline", "scoring_model_version": DT, "params": "{}"}
        for t in ("click", "order") for i, m in enumerate(models)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def write_propensity_night(lake, models=("baseline", "gbt"), chosen="gbt") -> None:
    write_curated(lake, paths.PROPENSITY_EVALUATION, propensity_evaluation(models, chosen),
                  run_date=DT)  # fmt: skip
    calibration = pd.DataFrame(
        {"target": "click", "model": "gbt", "decile": range(1, 11), "pairs": 10,
         "mean_predicted": np.linspace(0, 0.9, 10), "observed_rate": np.linspace(0, 0.9, 10)}
    )  # fmt: skip
    write_curated(lake, paths.PROPENSITY_CALIBRATION, calibration, run_date=DT)


def write_recommendation_night(lake, shipped_ndcg: float) -> None:
    write_curated(lake, paths.MODEL_EVALUATION, evaluation(shipped_ndcg), run_date=DT)
    write_curated(lake, paths.RECOMMENDATIONS, recs("good"), run_date=DT)


def rows(wh) -> list[tuple]:
    return wh.query(
        "SELECT family, target, model, published, ndcg, roc_auc FROM mart.model_evaluation"
        " WHERE run_date = ? ORDER BY 1, 2, 3",
        [DAY],
    )


def check_both_families_share_the_table(wh, lake):
    write_recommendation_night(lake, 0.4)
    write_propensity_night(lake)
    assert publish_recommendations(wh, DT, lake).published
    assert publish_propensity(wh, DT, lake)["rows"] == 4
    both = rows(wh)
    recommendation = [r for r in both if r[0] == "recommendation"]
    assert [r[:4] for r in recommendation] == [
        ("recommendation", "item", m, True) for m in ("als", "als_shipped", "popularity")
    ]
    assert [r[:3] for r in both if r[0] == "propensity"] == [
        ("propensity", t, m) for t in ("click", "order") for m in ("baseline", "gbt")
    ]
    assert all(r[5] is None for r in recommendation)  # each family fills its own metrics
    assert all(r[4] is None for r in both if r[0] == "propensity")

    # a propensity rerun that keeps the baseline replaces the propensity rows only
    write_propensity_night(lake, models=("baseline",), chosen=None)
    assert publish_propensity(wh, DT, lake)["rows"] == 2
    assert [r for r in rows(wh) if r[0] == "recommendation"] == recommendation
    view = wh.query(
        "SELECT target, model, chosen, published, scoring_model, scoring_model_version"
        " FROM mart.propensity_evaluation ORDER BY 1, 2"
    )
    assert view == [(t, "baseline", False, False, "baseline", DAY) for t in ("click", "order")]

    # a recommendation rerun that fails the gate replaces the recommendation rows only
    propensity = [r for r in rows(wh) if r[0] == "propensity"]
    write_recommendation_night(lake, 0.2)
    assert not publish_recommendations(wh, DT, lake).published
    again = rows(wh)
    assert [r for r in again if r[0] == "propensity"] == propensity
    assert [r[3] for r in again if r[0] == "recommendation"] == [False] * 3
    assert wh.query("SELECT count(*) FROM mart.model_evaluation") == [(5,)]


def test_both_families_share_the_table_duckdb(tmp_path):
    wh = migrated(f"duckdb:///{tmp_path / 'wh.duckdb'}", tmp_path)
    check_both_families_share_the_table(wh, tmp_path / "lake")


def check_750_carries_the_rows_over(wh, tmp_path):
    """A warehouse migrated to 740, with rows in both old tables, then 750."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for f in MIGRATIONS_DIR.glob("*.sql"):
        if f.name < "750":
            shutil.copy(f, folder)
    wh.migrate(folder)
    wh.execute(
        "INSERT INTO mart.model_evaluation VALUES"
        " (?, 'als_shipped', 10, 50, 0.1, 0.2, 0.4, 0.1, 0.5, true, 'published', '{}')",
        [DAY],
    )
    wh.execute(
        "INSERT INTO mart.propensity_evaluation VALUES"
        " (?, 'order', 'gbt', 100, 9, 0.7, 0.2, 0.3, 2.5, true, true, 'gbt chosen', 'gbt', ?, '{}')",
        [DAY, DAY],
    )
    shutil.copy(MIGRATIONS_DIR / "750_model_evaluation_all_models.sql", folder)
    assert wh.migrate(folder) == ["750_model_evaluation_all_models"]
    assert rows(wh) == [
        ("propensity", "order", "gbt", True, None, 0.7),
        ("recommendation", "item", "als_shipped", True, 0.4, None),
    ]
    assert wh.query("SELECT * FROM mart.propensity_evaluation") == [
        (DAY, "order", "gbt", 100, 9, 0.7, 0.2, 0.3, 2.5, True, True, "gbt chosen", "gbt", DAY,
         "{}")
    ]  # fmt: skip
    with pytest.raises(Exception, match="model_evaluation"):  # a row without its family's metrics
        wh.execute(
            "INSERT INTO mart.model_evaluation (run_date, family, target, model, published, reason)"
            " VALUES (?, 'propensity', 'click', 'gbt', true, 'x')",
            [DAY],
        )


def test_750_carries_the_rows_over_duckdb(tmp_path):
    wh = open_warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    check_750_carries_the_rows_over(wh, tmp_path)
