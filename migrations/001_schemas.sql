-- mart: the BI contract (every table and column documented, no personal data).
-- ops: internal bookkeeping of the pipeline (not for BI).
CREATE SCHEMA IF NOT EXISTS mart;
CREATE SCHEMA IF NOT EXISTS ops;

COMMENT ON TABLE ops.schema_migrations IS 'Applied warehouse migrations (migrations/NNN_name.sql), one row per version.';
COMMENT ON COLUMN ops.schema_migrations.version IS 'Migration number NNN.';
COMMENT ON COLUMN ops.schema_migrations.name IS 'Migration name after the number.';
COMMENT ON COLUMN ops.schema_migrations.checksum IS 'sha256 of the files that ran; a changed applied file is refused.';
COMMENT ON COLUMN ops.schema_migrations.applied_at IS 'When the migration was applied (UTC).';
