"""Conversion propensity: metrics against scikit-learn, the gate, and the job end to end on a
generator world with its planted campaign response (generator/responses.py)."""

import datetime
import importlib.util
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from alliance_pipeline.config import PropensityConfig
from alliance_pipeline.generator.config import GeneratorConfig
from alliance_pipeline.generator.world import build_world
from alliance_pipeline.lake import paths
from alliance_pipeline.propensity import evaluate, gate, sample
from alliance_pipeline.propensity.publish import publish_propensity
from alliance_pipeline.settings import JOBS_DIR
from tests.lake_rows import row_differences
from tests.unit.test_rec_publish import migrated

pytestmark = [pytest.mark.unit, pytest.mark.spark]
END = datetime.date(2026, 11, 23)
DT = END.isoformat()


def test_metrics_equal_scikit_learn_on_the_same_predictions(spark):
    rng = np.random.default_rng(3)
    rows = []
    for target in ("click", "order"):
        for model in ("baseline", "logistic_regression"):
            label = (rng.random(400) < 0.15).astype(float)
            # rounded scores: many ties, which each metric must treat as scikit-learn does
            score = np.round(np.clip(0.1 + 0.3 * label + rng.normal(0, 0.2, 400), 0, 1), 2)
            score[:5] = [0.0, 1.0, 0.0, 1.0, 0.5]  # the clipped ends of log loss
            rows += [(target, model, f"p{i}", "c", float(y), float(s))
                     for i, (y, s) in enumerate(zip(label, score, strict=True))]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["target", "model", "person_key", "campaign_id", "label",
                                        "score"])  # fmt: skip
    got, calibration = evaluate.metrics(spark.createDataFrame(frame))
    assert len(got) == 4
    for r in got:
        part = frame[(frame.target == r["target"]) & (frame.model == r["model"])]
        y, p = part.label.to_numpy(), part.score.to_numpy()
        assert r["pairs"] == 400 and r["positives"] == int(y.sum())
        assert r["roc_auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
        assert r["pr_auc"] == pytest.approx(average_precision_score(y, p), abs=1e-12)
        assert r["log_loss"] == pytest.approx(log_loss(y, p), rel=1e-9)
        ordered = part.sort_values(["score", "person_key"])
        top = ordered.label.to_numpy()[-40:]  # decile 10 of 400 pairs
        assert r["top_decile_lift"] == pytest.approx(top.mean() / y.mean(), rel=1e-12)
    deciles = [c for c in calibration if c["target"] == "click" and c["model"] == "baseline"]
    assert [c["decile"] for c in deciles] == list(range(1, 11))
    assert {c["pairs"] for c in deciles} == {40}


def rows(auc_click, auc_order, positives=50):
    return [
        {"target": t, "model": m, "positives": positives, "roc_auc": auc}
        for t, m, auc in (
            ("click", "baseline", 0.6), ("order", "baseline", 0.6),
            ("click", "logistic_regression", auc_click), ("order", "logistic_regression", auc_order),
            ("click", "gbt", 0.7), ("order", "gbt", 0.59),
        )
    ]  # fmt: skip


def test_gate_needs_every_target_above_the_baseline():
    cands = ("logistic_regression", "gbt")
    chosen, reason = gate.choose(rows(0.8, 0.7), cands, 5)
    assert chosen == "logistic_regression" and "gbt ROC AUC" in reason  # gbt loses on orders
    assert gate.choose(rows(0.8, 0.55), cands, 5)[0] is None  # worse than the baseline on orders
    chosen, reason = gate.choose(rows(0.8, 0.7, positives=3), cands, 5)
    assert chosen is None and "too little to judge" in reason


def test_config_refuses_a_window_without_history():
    with pytest.raises(ValueError, match="lookback_days must exceed"):
        PropensityConfig(lookback_days=14, label_days=7)


def load_job():
    spec = importlib.util.spec_from_file_location("propensity_job", JOBS_DIR / "propensity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def contract_pairs(root) -> set[tuple[str, str]]:
    """The pairs the contract asks for, computed apart from the job in pandas."""
    camps = pd.read_parquet(paths.path(paths.clean("campaigns"), root))
    camps = camps.drop_duplicates("campaign_id")
    running = camps[(camps.start_date <= END) & (camps.end_date >= END)]
    persons = pd.read_parquet(paths.partition(paths.PERSONS, root, dt=DT))
    out = set()
    for cid, partner in zip(running.campaign_id, running.partner_id, strict=True):
        known = persons[persons.sources.str.split(";").apply(lambda s, p=partner: p in s)]
        out |= {(k, cid) for k in known.person_key}
    return out


def read(root, dataset, **keys) -> pd.DataFrame:
    return pd.read_parquet(paths.partition(dataset, root, **keys))


# Three runs of the job on 2,000 persons over 35 days: 4-5 min each on a 2-core machine loaded to ~10.
@pytest.mark.timeout(1500)
def test_job_finds_the_planted_response_covers_the_contract_reruns_and_keeps_a_good_model(
    spark, tmp_path
):
    root = tmp_path / "lake"
    world = build_world(GeneratorConfig(persons=2000, days=35, end_date=END, seed=5))
    sample.write_clean(world, root)
    cutoffs = [END - datetime.timedelta(days=d) for d in (14, 7, 0)]
    sample.write_person_partitions(spark, world, root, cutoffs, 21)
    job = load_job()
    params = ["--lake-root", str(root), "--param", "lookback_days=35", "--param", "max_iter=20",
              "--param", "gbt_max_iter=3"]  # fmt: skip
    assert job.main(["--dt", DT, *params]) == 0

    ev = read(root, paths.PROPENSITY_EVALUATION, run_date=DT).set_index(["target", "model"])
    chosen = ev[ev.chosen].index.get_level_values("model").unique()
    assert len(chosen) == 1, ev.reason.iloc[0]
    for target in ("click", "order"):
        assert (
            ev.loc[(target, chosen[0]), "roc_auc"] > ev.loc[(target, "baseline"), "roc_auc"] + 0.08
        )
    assert ev.loc[("click", "baseline"), "positives"] >= 50

    scores = read(root, paths.PROPENSITY_SCORES, dt=DT)
    assert list(scores.columns[:7]) == ["person_key", "campaign_id", "partner_id", "p_click",
                                        "p_order", "model_version", "model"]  # fmt: skip
    assert not scores.duplicated(["person_key", "campaign_id"]).any()
    assert set(zip(scores.person_key, scores.campaign_id, strict=True)) == contract_pairs(root)
    assert scores.p_click.between(0, 1).all() and scores.p_order.between(0, 1).all()
    assert set(scores.model) == {chosen[0]} and set(scores.model_version) == {DT}

    # the next night's model is never trained (max_iter 0: constant predictions, ROC AUC 0.5):
    # the gate refuses it and the model of DT keeps scoring, as DT's version
    nxt = (END + datetime.timedelta(days=1)).isoformat()
    bad = ["--param", 'candidates=["logistic_regression"]', "--param", "max_iter=0"]
    assert job.main(["--dt", nxt, *params, *bad]) == 0
    ev2 = read(root, paths.PROPENSITY_EVALUATION, run_date=nxt)
    assert not ev2.published.any() and not ev2.chosen.any()
    assert set(ev2.scoring_model) == {chosen[0]} and set(ev2.scoring_model_version) == {DT}
    kept = read(root, paths.PROPENSITY_SCORES, dt=nxt)
    assert set(kept.model) == {chosen[0]} and set(kept.model_version) == {DT}

    # a rerun replaces: the same rows in every dataset, no more (any order, floats to 1e-9)
    written = (paths.PROPENSITY_SCORES, paths.PROPENSITY_EVALUATION, paths.PROPENSITY_CALIBRATION)
    for d in written:
        shutil.copytree(paths.path(d, root), tmp_path / "before" / d)
    assert job.main(["--dt", nxt, *params, *bad]) == 0
    for d in written:
        assert row_differences(tmp_path / "before" / d, paths.path(d, root)) == []


def test_publish_loads_the_evaluation_and_deciles_and_a_rerun_replaces_them(tmp_path):
    root = tmp_path / "lake"
    evaluation = pd.DataFrame(
        {"target": ["click", "click"], "model": ["baseline", "gbt"], "pairs": [100, 100],
         "positives": [9, 9], "roc_auc": [0.6, 0.7], "pr_auc": [0.1, 0.2], "log_loss": [0.3, 0.2],
         "top_decile_lift": [1.5, 2.5], "chosen": [False, True], "published": [True, True],
         "reason": ["gbt chosen"] * 2, "scoring_model": ["gbt"] * 2,
         "scoring_model_version": [DT] * 2, "params": ["{}"] * 2}
    )  # fmt: skip
    calibration = pd.DataFrame(
        {"target": "click", "model": "gbt", "decile": range(1, 11), "pairs": 10,
         "mean_predicted": np.linspace(0, 0.9, 10), "observed_rate": np.linspace(0, 0.9, 10)}
    )  # fmt: skip
    sample.write_curated(root, paths.PROPENSITY_EVALUATION, evaluation, run_date=DT)
    sample.write_curated(root, paths.PROPENSITY_CALIBRATION, calibration, run_date=DT)
    wh = migrated(f"duckdb:///{tmp_path / 'wh.duckdb'}", tmp_path)
    for _ in range(2):
        result = publish_propensity(wh, DT, root)
    assert result == {"published": True, "reason": "gbt chosen", "scoring_model": "gbt", "rows": 2}
    families = wh.query("SELECT DISTINCT family FROM mart.model_evaluation")
    assert families == [("propensity",)]  # the rows live there; the view shows them
    got = wh.query_df("SELECT * FROM mart.propensity_evaluation ORDER BY model")
    assert list(got.model) == ["baseline", "gbt"] and list(got.roc_auc) == [0.6, 0.7]
    assert str(got.scoring_model_version[0]) == DT
    assert wh.query_df("SELECT count(*) AS n FROM mart.propensity_calibration").n[0] == 10
