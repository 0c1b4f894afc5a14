-- Conversion propensity (issue 16): the holdout evaluation of each night's candidates against
-- the baseline, the publish gate's decision, and the reliability deciles. Separate tables, not
-- mart.model_evaluation: its columns are the recommender's ranking metrics (k, NDCG, MAP, ...).
-- Internal (privacy/outputs.py): aggregate model metrics, no person.
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE IF NOT EXISTS mart.propensity_evaluation (
    run_date               DATE             NOT NULL,
    target                 TEXT             NOT NULL,
    model                  TEXT             NOT NULL,
    pairs                  BIGINT           NOT NULL,
    positives              BIGINT           NOT NULL,
    roc_auc                DOUBLE PRECISION,
    pr_auc                 DOUBLE PRECISION,
    log_loss               DOUBLE PRECISION,
    top_decile_lift        DOUBLE PRECISION,
    chosen                 BOOLEAN          NOT NULL,
    published              BOOLEAN          NOT NULL,
    reason                 TEXT             NOT NULL,
    scoring_model          TEXT             NOT NULL,
    scoring_model_version  DATE             NOT NULL,
    params                 TEXT,
    PRIMARY KEY (run_date, target, model)
);
COMMENT ON TABLE mart.propensity_evaluation IS 'Internal. Conversion propensity (jobs/propensity.py): each night''s candidates (logistic regression, gradient-boosted trees) and the baseline (each campaign''s rate in the training period) on the same holdout pairs (cut-off dt - label_days, labelled by the days up to dt), and the publish gate''s decision.';
COMMENT ON COLUMN mart.propensity_evaluation.run_date IS 'Run date (Asia/Shanghai).';
COMMENT ON COLUMN mart.propensity_evaluation.target IS 'click: the person clicked the campaign in the label period; order: placed an order attributed to it (referral code, checkout campaign, or after a click).';
COMMENT ON COLUMN mart.propensity_evaluation.model IS 'logistic_regression, gbt or baseline.';
COMMENT ON COLUMN mart.propensity_evaluation.pairs IS 'Holdout (person, campaign) pairs.';
COMMENT ON COLUMN mart.propensity_evaluation.positives IS 'Holdout pairs with the target.';
COMMENT ON COLUMN mart.propensity_evaluation.roc_auc IS 'ROC AUC: probability that a positive outranks a negative, ties half; null without both classes.';
COMMENT ON COLUMN mart.propensity_evaluation.pr_auc IS 'Average precision (scikit-learn''s average_precision_score); null without both classes.';
COMMENT ON COLUMN mart.propensity_evaluation.log_loss IS 'Mean log loss, probabilities clipped to machine epsilon.';
COMMENT ON COLUMN mart.propensity_evaluation.top_decile_lift IS 'Observed rate in the top score decile / overall rate.';
COMMENT ON COLUMN mart.propensity_evaluation.chosen IS 'True on the candidate that passed the gate and scores tonight.';
COMMENT ON COLUMN mart.propensity_evaluation.published IS 'True when a candidate passed the gate tonight (same value on every row of a run).';
COMMENT ON COLUMN mart.propensity_evaluation.reason IS 'The gate''s verdict: ROC AUC of each candidate against the baseline per target.';
COMMENT ON COLUMN mart.propensity_evaluation.scoring_model IS 'The model behind tonight''s curated/propensity_scores: the chosen candidate, the last one that passed, or baseline.';
COMMENT ON COLUMN mart.propensity_evaluation.scoring_model_version IS 'Run date of the model behind tonight''s scores (an earlier date when the last good model was kept).';
COMMENT ON COLUMN mart.propensity_evaluation.params IS 'Parameters of the run (config propensity:) as JSON.';

CREATE TABLE IF NOT EXISTS mart.propensity_calibration (
    run_date        DATE             NOT NULL,
    target          TEXT             NOT NULL,
    model           TEXT             NOT NULL,
    decile          INTEGER          NOT NULL,
    pairs           BIGINT           NOT NULL,
    mean_predicted  DOUBLE PRECISION NOT NULL,
    observed_rate   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_date, target, model, decile)
);
COMMENT ON TABLE mart.propensity_calibration IS 'Internal. Reliability of each propensity model on the holdout: pairs in ten deciles of the predicted probability, the mean prediction against the observed rate.';
COMMENT ON COLUMN mart.propensity_calibration.run_date IS 'Run date (Asia/Shanghai).';
COMMENT ON COLUMN mart.propensity_calibration.target IS 'click or order.';
COMMENT ON COLUMN mart.propensity_calibration.model IS 'logistic_regression, gbt or baseline.';
COMMENT ON COLUMN mart.propensity_calibration.decile IS 'Score decile, 1 = lowest predictions, 10 = highest (ties broken by the pair''s keys).';
COMMENT ON COLUMN mart.propensity_calibration.pairs IS 'Holdout pairs in the decile.';
COMMENT ON COLUMN mart.propensity_calibration.mean_predicted IS 'Mean predicted probability in the decile.';
COMMENT ON COLUMN mart.propensity_calibration.observed_rate IS 'Share of the decile''s pairs with the target.';
