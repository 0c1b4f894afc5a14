CREATE TABLE mart.pipeline_run (
    run_id TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    dt DATE NOT NULL,
    state TEXT NOT NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    sources_passed TEXT,
    sources_failed TEXT,
    summary TEXT,
    PRIMARY KEY (dag_id, run_id)
);

COMMENT ON TABLE mart.pipeline_run IS 'One row per pipeline run: what night it processed and how it went.';
COMMENT ON COLUMN mart.pipeline_run.run_id IS 'Airflow run id.';
COMMENT ON COLUMN mart.pipeline_run.dag_id IS 'Airflow DAG id.';
COMMENT ON COLUMN mart.pipeline_run.dt IS 'Business date processed (Asia/Shanghai).';
COMMENT ON COLUMN mart.pipeline_run.state IS 'Run state: running, success or failed.';
COMMENT ON COLUMN mart.pipeline_run.started_at IS 'Run start (UTC).';
COMMENT ON COLUMN mart.pipeline_run.finished_at IS 'Run end (UTC); NULL while running.';
COMMENT ON COLUMN mart.pipeline_run.sources_passed IS 'Source ids whose data passed, ;-joined and sorted.';
COMMENT ON COLUMN mart.pipeline_run.sources_failed IS 'Source ids that failed or were missing, ;-joined and sorted.';
COMMENT ON COLUMN mart.pipeline_run.summary IS 'JSON object of per-stage counts (rows ingested, quarantined, published).';
