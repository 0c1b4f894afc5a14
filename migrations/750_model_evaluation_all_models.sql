-- One table of every model's nightly holdout evaluation (issue 16): mart.model_evaluation holds
-- the recommender's rows (family recommendation, target item) and the conversion-propensity
-- rows (family propensity, target click or order) that 720 put in mart.propensity_evaluation.
-- Each family fills its own metric columns and leaves the other's NULL (the CHECK); the key is
-- (run_date, family, target, model) and each publisher replaces its (run_date, family) only.
-- mart.propensity_evaluation stays, as a view of the propensity rows with 720's columns.
-- Rebuilt rather than altered: DuckDB alters neither a primary key nor a CHECK. The rows wait
-- in a temporary table, so the new table and its constraints get the old names. Applied once,
-- in one transaction, by the migration runner (warehouse/migrations.py).
CREATE TEMPORARY TABLE model_evaluation_750 AS
SELECT run_date, 'recommendation' AS family, 'item' AS target, model,
       k, persons, "precision", recall, ndcg, "map", coverage,
       CAST(NULL AS BIGINT) AS pairs, CAST(NULL AS BIGINT) AS positives,
       CAST(NULL AS DOUBLE PRECISION) AS roc_auc, CAST(NULL AS DOUBLE PRECISION) AS pr_auc,
       CAST(NULL AS DOUBLE PRECISION) AS log_loss,
       CAST(NULL AS DOUBLE PRECISION) AS top_decile_lift, CAST(NULL AS BOOLEAN) AS chosen,
       published, reason,
       CAST(NULL AS TEXT) AS scoring_model, CAST(NULL AS DATE) AS scoring_model_version,
       params
FROM mart.model_evaluation
UNION ALL
SELECT run_date, 'propensity', target, model,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       pairs, positives, roc_auc, pr_auc, log_loss, top_decile_lift, chosen,
       published, reason, scoring_model, scoring_model_version, params
FROM mart.propensity_evaluation;

DROP TABLE mart.model_evaluation;
DROP TABLE mart.propensity_evaluation;

CREATE TABLE mart.model_evaluation (
    run_date               DATE             NOT NULL,
    family                 TEXT             NOT NULL,
    target                 TEXT             NOT NULL,
    model                  TEXT             NOT NULL,
    k                      INTEGER,
    persons                BIGINT,
    "precision"            DOUBLE PRECISION,
    recall                 DOUBLE PRECISION,
    ndcg                   DOUBLE PRECISION,
    "map"                  DOUBLE PRECISION,
    coverage               DOUBLE PRECISION,
    pairs                  BIGINT,
    positives              BIGINT,
    roc_auc                DOUBLE PRECISION,
    pr_auc                 DOUBLE PRECISION,
    log_loss               DOUBLE PRECISION,
    top_decile_lift        DOUBLE PRECISION,
    chosen                 BOOLEAN,
    published              BOOLEAN          NOT NULL,
    reason                 TEXT             NOT NULL,
    scoring_model          TEXT,
    scoring_model_version  DATE,
    params                 TEXT,
    CONSTRAINT model_evaluation_pkey PRIMARY KEY (run_date, family, target, model),
    CONSTRAINT model_evaluation_family_metrics CHECK (
        (family = 'recommendation' AND target = 'item'
         AND k IS NOT NULL AND persons IS NOT NULL AND "precision" IS NOT NULL
         AND recall IS NOT NULL AND ndcg IS NOT NULL AND "map" IS NOT NULL
         AND coverage IS NOT NULL
         AND pairs IS NULL AND positives IS NULL AND roc_auc IS NULL AND pr_auc IS NULL
         AND log_loss IS NULL AND top_decile_lift IS NULL AND chosen IS NULL
         AND scoring_model IS NULL AND scoring_model_version IS NULL)
        OR
        (family = 'propensity' AND target IN ('click', 'order')
         AND pairs IS NOT NULL AND positives IS NOT NULL AND chosen IS NOT NULL
         AND scoring_model IS NOT NULL AND scoring_model_version IS NOT NULL
         AND k IS NULL AND persons IS NULL AND "precision" IS NULL AND recall IS NULL
         AND ndcg IS NULL AND "map" IS NULL AND coverage IS NULL)
    )
);
INSERT INTO mart.model_evaluation SELECT * FROM model_evaluation_750;
DROP TABLE model_evaluation_750;

COMMENT ON TABLE mart.model_evaluation IS 'Internal. Nightly holdout evaluation of every model and its publish gate''s decision, one family per model kind. family recommendation (target item): each recommendation run on the same persons and the same held-out last days: the lists as shipped (als_shipped: quota, consent, cold start, exclusions), the unconstrained model (als) and the popularity baseline; on a tuning night also the validation scores of the chosen hyper-parameters (als_tuning); the gate decides on als_shipped against popularity. family propensity (target click or order, jobs/propensity.py): each night''s candidates (logistic regression, gradient-boosted trees) and the baseline (each campaign''s rate in the training period) on the same holdout pairs (cut-off dt - label_days, labelled by the days up to dt); the gate decides on ROC AUC against the baseline. Each family fills its own metric columns, the other''s are NULL. mart.propensity_evaluation is the propensity rows.';
COMMENT ON COLUMN mart.model_evaluation.run_date IS 'Run date (Asia/Shanghai).';
COMMENT ON COLUMN mart.model_evaluation.family IS 'recommendation (the recommender, jobs/recommend.py) or propensity (conversion propensity, jobs/propensity.py). Each family''s publisher replaces only its own rows of a run date.';
COMMENT ON COLUMN mart.model_evaluation.target IS 'What the model predicts. recommendation: item (a person''s new items in the holdout days; one value, so the key has no NULL). propensity: click (the person clicked the campaign in the label period) or order (placed an order attributed to it: referral code, checkout campaign, or after a click).';
COMMENT ON COLUMN mart.model_evaluation.model IS 'recommendation: als_shipped, the lists as published, made as of the day before the holdout (the gate''s row); als, the model''s best items after the exclusions only; popularity, items by distinct persons in training after the exclusions; als_tuning, the chosen grid point, scored on validation days carved from training (never the holdout). propensity: logistic_regression, gbt or baseline.';
COMMENT ON COLUMN mart.model_evaluation.k IS 'recommendation: cut-off of the metrics. NULL for propensity.';
COMMENT ON COLUMN mart.model_evaluation.persons IS 'recommendation: persons evaluated, known in training with at least one new item in the holdout (als_tuning: in the validation days). NULL for propensity.';
COMMENT ON COLUMN mart.model_evaluation."precision" IS 'recommendation: mean precision@k, hits in the first k / k. NULL for propensity.';
COMMENT ON COLUMN mart.model_evaluation.recall IS 'recommendation: mean recall@k, hits in the first k / relevant items. NULL for propensity.';
COMMENT ON COLUMN mart.model_evaluation.ndcg IS 'recommendation: mean NDCG@k, binary relevance, discount 1/log2(position + 1). NULL for propensity.';
COMMENT ON COLUMN mart.model_evaluation."map" IS 'recommendation: MAP@k, mean over persons of the sum of precision@i at hit positions i, divided by min(relevant items, k). NULL for propensity.';
COMMENT ON COLUMN mart.model_evaluation.coverage IS 'recommendation: distinct items recommended in the first k to evaluated persons / items in the catalog. NULL for propensity.';
COMMENT ON COLUMN mart.model_evaluation.pairs IS 'propensity: holdout (person, campaign) pairs. NULL for recommendation.';
COMMENT ON COLUMN mart.model_evaluation.positives IS 'propensity: holdout pairs with the target. NULL for recommendation.';
COMMENT ON COLUMN mart.model_evaluation.roc_auc IS 'propensity: ROC AUC, probability that a positive outranks a negative, ties half; null without both classes. NULL for recommendation.';
COMMENT ON COLUMN mart.model_evaluation.pr_auc IS 'propensity: average precision (scikit-learn''s average_precision_score); null without both classes. NULL for recommendation.';
COMMENT ON COLUMN mart.model_evaluation.log_loss IS 'propensity: mean log loss, probabilities clipped to machine epsilon. NULL for recommendation.';
COMMENT ON COLUMN mart.model_evaluation.top_decile_lift IS 'propensity: observed rate in the top score decile / overall rate. NULL for recommendation.';
COMMENT ON COLUMN mart.model_evaluation.chosen IS 'propensity: true on the candidate that passed the gate and scores tonight. NULL for recommendation.';
COMMENT ON COLUMN mart.model_evaluation.published IS 'True when the run passed its family''s gate (same value on every row of a run date and family): recommendation, the lists were published; propensity, a candidate scores tonight.';
COMMENT ON COLUMN mart.model_evaluation.reason IS 'The gate''s verdict: why the run was or was not published (recommendation: NDCG@k of the shipped lists against popularity; propensity: ROC AUC of each candidate against the baseline per target).';
COMMENT ON COLUMN mart.model_evaluation.scoring_model IS 'propensity: the model behind tonight''s curated/propensity_scores, the chosen candidate, the last one that passed, or baseline. NULL for recommendation.';
COMMENT ON COLUMN mart.model_evaluation.scoring_model_version IS 'propensity: run date of the model behind tonight''s scores (an earlier date when the last good model was kept). NULL for recommendation.';
COMMENT ON COLUMN mart.model_evaluation.params IS 'JSON. recommendation evaluation rows: the parameters the run used, with tuned_on (the night rank, reg_param and alpha were chosen; null: the committed values); als_tuning: the chosen point, the validation days and every grid point''s NDCG. propensity: the parameters of the run (config propensity:).';

CREATE VIEW mart.propensity_evaluation AS
SELECT run_date, target, model, pairs, positives, roc_auc, pr_auc, log_loss, top_decile_lift,
       chosen, published, reason, scoring_model, scoring_model_version, params
FROM mart.model_evaluation
WHERE family = 'propensity';
COMMENT ON VIEW mart.propensity_evaluation IS 'Internal. The conversion-propensity rows of mart.model_evaluation (family propensity) with the columns of the table it replaced (migration 720); see mart.model_evaluation for each column.';
COMMENT ON COLUMN mart.propensity_evaluation.run_date IS 'Run date (Asia/Shanghai).';
COMMENT ON COLUMN mart.propensity_evaluation.target IS 'click: the person clicked the campaign in the label period; order: placed an order attributed to it.';
COMMENT ON COLUMN mart.propensity_evaluation.model IS 'logistic_regression, gbt or baseline (each campaign''s rate in the training period).';
COMMENT ON COLUMN mart.propensity_evaluation.pairs IS 'Holdout (person, campaign) pairs.';
COMMENT ON COLUMN mart.propensity_evaluation.positives IS 'Holdout pairs with the target.';
COMMENT ON COLUMN mart.propensity_evaluation.roc_auc IS 'ROC AUC on the holdout; null without both classes.';
COMMENT ON COLUMN mart.propensity_evaluation.pr_auc IS 'Average precision on the holdout; null without both classes.';
COMMENT ON COLUMN mart.propensity_evaluation.log_loss IS 'Mean log loss on the holdout.';
COMMENT ON COLUMN mart.propensity_evaluation.top_decile_lift IS 'Observed rate in the top score decile / overall rate.';
COMMENT ON COLUMN mart.propensity_evaluation.chosen IS 'True on the candidate that passed the gate and scores tonight.';
COMMENT ON COLUMN mart.propensity_evaluation.published IS 'True when a candidate passed the gate tonight.';
COMMENT ON COLUMN mart.propensity_evaluation.reason IS 'The gate''s verdict: ROC AUC of each candidate against the baseline per target.';
COMMENT ON COLUMN mart.propensity_evaluation.scoring_model IS 'The model behind tonight''s curated/propensity_scores: the chosen candidate, the last one that passed, or baseline.';
COMMENT ON COLUMN mart.propensity_evaluation.scoring_model_version IS 'Run date of the model behind tonight''s scores.';
COMMENT ON COLUMN mart.propensity_evaluation.params IS 'Parameters of the run (config propensity:) as JSON.';
