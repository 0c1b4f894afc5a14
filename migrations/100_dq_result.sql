CREATE TABLE mart.dq_result (
    run_id TEXT NOT NULL,
    source TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dt DATE NOT NULL,
    expectation TEXT NOT NULL,
    severity TEXT NOT NULL,
    observed_value TEXT,
    passed BOOLEAN NOT NULL,
    rows_affected BIGINT NOT NULL,
    engine TEXT NOT NULL,
    PRIMARY KEY (run_id, source, dataset, dt, expectation)
);

COMMENT ON TABLE mart.dq_result IS 'Data-quality results: one row per expectation checked on one delivery (source, dataset, dt) in one pipeline run. Never holds cell values.';
COMMENT ON COLUMN mart.dq_result.run_id IS 'Airflow run id that validated the delivery; a retry of the same run replaces its rows.';
COMMENT ON COLUMN mart.dq_result.source IS 'Source id (config/sources.yml).';
COMMENT ON COLUMN mart.dq_result.dataset IS 'Dataset name (users, events, orders, ...).';
COMMENT ON COLUMN mart.dq_result.dt IS 'Delivery partition date.';
COMMENT ON COLUMN mart.dq_result.expectation IS 'Rule id, e.g. not_null:order_id, allowed:currency, ref:content_id, row_count_band (expectations/<dataset>.json meta.rule).';
COMMENT ON COLUMN mart.dq_result.severity IS 'critical (a failure rejects the whole delivery), row (offending rows quarantined) or info.';
COMMENT ON COLUMN mart.dq_result.observed_value IS 'What was observed, without cell values: counts, missing or added column names, file names.';
COMMENT ON COLUMN mart.dq_result.passed IS 'True when the expectation held.';
COMMENT ON COLUMN mart.dq_result.rows_affected IS 'Rows that broke the rule (0 for table-level rules).';
COMMENT ON COLUMN mart.dq_result.engine IS 'gx (Great Expectations suite), pandas (rules GX lacks), reader (parsing and manifest checks) or policy (bad-row share).';
