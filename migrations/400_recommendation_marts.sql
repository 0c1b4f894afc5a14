-- Recommendations (issue 6): published top-N lists and the evaluation behind the publish gate.
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE IF NOT EXISTS mart.recommendation (
    run_date DATE NOT NULL,
    person_key TEXT NOT NULL,
    rank INTEGER NOT NULL,
    content_id TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    item_source TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (run_date, person_key, rank)
);
COMMENT ON TABLE mart.recommendation IS 'Top-N content per person, one partition per published run date. A run whose model does not beat the popularity baseline publishes nothing: the last published run date stays current (see mart.recommendation_current and mart.model_evaluation).';
COMMENT ON COLUMN mart.recommendation.run_date IS 'Run date (Asia/Shanghai) of the job that produced the list.';
COMMENT ON COLUMN mart.recommendation.person_key IS 'Pseudonymous person key (HMAC-SHA256), no direct identifier.';
COMMENT ON COLUMN mart.recommendation.rank IS 'Position in the list, 1 = best.';
COMMENT ON COLUMN mart.recommendation.content_id IS 'Recommended content (catalog content_id); never content the person already owns.';
COMMENT ON COLUMN mart.recommendation.score IS 'Ranking score: ALS preference for reason als, share of the segment''s persons who engaged with the item for reason segment_popular. Comparable only within one reason.';
COMMENT ON COLUMN mart.recommendation.item_source IS 'Source id that owns the content (catalog owner_source).';
COMMENT ON COLUMN mart.recommendation.reason IS 'als: collaborative filtering; segment_popular: too little history, the most popular items of the person''s segment.';

CREATE TABLE IF NOT EXISTS mart.model_evaluation (
    run_date DATE NOT NULL,
    model TEXT NOT NULL,
    k INTEGER NOT NULL,
    persons BIGINT NOT NULL,
    "precision" DOUBLE PRECISION NOT NULL,
    recall DOUBLE PRECISION NOT NULL,
    ndcg DOUBLE PRECISION NOT NULL,
    "map" DOUBLE PRECISION NOT NULL,
    coverage DOUBLE PRECISION NOT NULL,
    published BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    params TEXT,
    PRIMARY KEY (run_date, model)
);
COMMENT ON TABLE mart.model_evaluation IS 'Holdout evaluation of each recommendation run: ALS and the popularity baseline on the same persons and the same held-out last days; the publish gate decision.';
COMMENT ON COLUMN mart.model_evaluation.run_date IS 'Run date (Asia/Shanghai).';
COMMENT ON COLUMN mart.model_evaluation.model IS 'als or popularity (items ranked by distinct persons in training).';
COMMENT ON COLUMN mart.model_evaluation.k IS 'Cut-off of the metrics.';
COMMENT ON COLUMN mart.model_evaluation.persons IS 'Persons evaluated: known in training with at least one new item in the holdout.';
COMMENT ON COLUMN mart.model_evaluation."precision" IS 'Mean precision@k: hits in the first k / k.';
COMMENT ON COLUMN mart.model_evaluation.recall IS 'Mean recall@k: hits in the first k / relevant items.';
COMMENT ON COLUMN mart.model_evaluation.ndcg IS 'Mean NDCG@k, binary relevance, discount 1/log2(position + 1).';
COMMENT ON COLUMN mart.model_evaluation."map" IS 'MAP@k: mean over persons of the sum of precision@i at hit positions i, divided by min(relevant items, k).';
COMMENT ON COLUMN mart.model_evaluation.coverage IS 'Distinct items recommended in the first k to evaluated persons / items in the catalog.';
COMMENT ON COLUMN mart.model_evaluation.published IS 'True when this run''s recommendations were published (same value on both rows of a run).';
COMMENT ON COLUMN mart.model_evaluation.reason IS 'Why the run was or was not published.';
COMMENT ON COLUMN mart.model_evaluation.params IS 'Model parameters of the run as JSON.';

CREATE OR REPLACE VIEW mart.recommendation_current AS
SELECT r.*
FROM mart.recommendation r
WHERE r.run_date = (SELECT MAX(run_date) FROM mart.recommendation);
COMMENT ON VIEW mart.recommendation_current IS 'The last published recommendation lists.';
