-- Loaded from config/sources.yml by alliance_pipeline.warehouse.publish_dim_source.
-- The registry's alert contact is deliberately not here: BI has no use for mailboxes.
CREATE TABLE mart.dim_source (
    source_id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    timezone TEXT NOT NULL,
    active BOOLEAN NOT NULL
);

COMMENT ON TABLE mart.dim_source IS 'Data sources: the platform and its partner brands, from the source registry.';
COMMENT ON COLUMN mart.dim_source.source_id IS 'Source id, as in every table''s source column.';
COMMENT ON COLUMN mart.dim_source.name IS 'Display name.';
COMMENT ON COLUMN mart.dim_source.kind IS 'platform or partner.';
COMMENT ON COLUMN mart.dim_source.format IS 'Delivery file format: csv, jsonl or parquet.';
COMMENT ON COLUMN mart.dim_source.encoding IS 'Text encoding of deliveries: utf-8 or gbk.';
COMMENT ON COLUMN mart.dim_source.timezone IS 'Timezone of the source''s timestamps without offset.';
COMMENT ON COLUMN mart.dim_source.active IS 'Whether the source is ingested nightly.';
