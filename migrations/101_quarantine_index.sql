CREATE TABLE mart.quarantine_index (
    run_id TEXT NOT NULL,
    source TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dt DATE NOT NULL,
    rule TEXT NOT NULL,
    rows BIGINT NOT NULL,
    path TEXT NOT NULL,
    batch_rejected BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, source, dataset, dt, rule)
);

COMMENT ON TABLE mart.quarantine_index IS 'Where quarantined data is: one row per rule per delivery and run. The quarantine zone itself holds personal data and is restricted.';
COMMENT ON COLUMN mart.quarantine_index.run_id IS 'Airflow run id that quarantined the rows.';
COMMENT ON COLUMN mart.quarantine_index.source IS 'Source id.';
COMMENT ON COLUMN mart.quarantine_index.dataset IS 'Dataset name.';
COMMENT ON COLUMN mart.quarantine_index.dt IS 'Delivery partition date.';
COMMENT ON COLUMN mart.quarantine_index.rule IS 'Rule broken (a row can break several: it is counted under each).';
COMMENT ON COLUMN mart.quarantine_index.rows IS 'Rows quarantined under the rule (the whole delivery when batch_rejected).';
COMMENT ON COLUMN mart.quarantine_index.path IS 'Quarantine partition: rows.parquet with a _rules column, _batch.json for a rejected delivery.';
COMMENT ON COLUMN mart.quarantine_index.batch_rejected IS 'True when a critical rule rejected the whole delivery.';
