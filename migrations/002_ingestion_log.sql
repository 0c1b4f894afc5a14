CREATE TABLE ops.ingestion_log (
    run_id TEXT NOT NULL,
    source TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dt DATE NOT NULL,
    delivery_digest TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ingested', 'unchanged', 'failed')),
    files INTEGER,
    rows BIGINT,
    bytes BIGINT,
    checksums TEXT,
    message TEXT,
    ingested_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, dataset, dt, delivery_digest)
);

COMMENT ON TABLE ops.ingestion_log IS 'One row per delivery (source, dataset, dt, delivery) copied to the raw zone, or failed.';
COMMENT ON COLUMN ops.ingestion_log.run_id IS 'Airflow run id of the ingestion.';
COMMENT ON COLUMN ops.ingestion_log.source IS 'Source id from config/sources.yml.';
COMMENT ON COLUMN ops.ingestion_log.dataset IS 'Dataset name (users, events, orders, ...).';
COMMENT ON COLUMN ops.ingestion_log.dt IS 'Delivery date: the dt=YYYY-MM-DD partition.';
COMMENT ON COLUMN ops.ingestion_log.delivery_digest IS 'sha256 of the delivery manifest; a corrected re-delivery has another digest.';
COMMENT ON COLUMN ops.ingestion_log.status IS 'ingested, unchanged (same delivery seen before) or failed.';
COMMENT ON COLUMN ops.ingestion_log.files IS 'Number of part files.';
COMMENT ON COLUMN ops.ingestion_log.rows IS 'Rows over all part files, as verified against the manifest.';
COMMENT ON COLUMN ops.ingestion_log.bytes IS 'Bytes over all part files.';
COMMENT ON COLUMN ops.ingestion_log.checksums IS 'JSON object: part file key -> sha256.';
COMMENT ON COLUMN ops.ingestion_log.message IS 'Why it failed (names source, dataset, dt and rule); NULL when ingested.';
COMMENT ON COLUMN ops.ingestion_log.ingested_at IS 'When the row was written (UTC).';
