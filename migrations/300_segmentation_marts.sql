-- Segmentation (issue 5): segments with stable ids and each night's person -> segment map.
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE IF NOT EXISTS mart.dim_segment (
    segment_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    persons BIGINT NOT NULL,
    median_spend_cny NUMERIC(18,2),
    median_watch_minutes DOUBLE PRECISION,
    top_categories TEXT,
    profile_json TEXT NOT NULL,
    first_run DATE NOT NULL,
    last_run DATE NOT NULL,
    retired_on DATE
);
COMMENT ON TABLE mart.dim_segment IS 'User segments (KMeans on per-person features), one row per segment ever published; ids are stable from night to night (centroid matching). Segments of fewer than privacy.min_cell_size persons are merged into segment_id other.';
COMMENT ON COLUMN mart.dim_segment.segment_id IS 'Stable segment id (seg-NNN, never reused), or other for the merged small segments of the last run.';
COMMENT ON COLUMN mart.dim_segment.label IS 'Readable label from the dominant traits, e.g. high-spend finishers, lapsed browsers.';
COMMENT ON COLUMN mart.dim_segment.status IS 'active: found in the last run; retired: vanished (see retired_on).';
COMMENT ON COLUMN mart.dim_segment.persons IS 'Persons in the segment at its last run.';
COMMENT ON COLUMN mart.dim_segment.median_spend_cny IS 'Median net paid order amount per person in CNY over the look-back window, at its last run.';
COMMENT ON COLUMN mart.dim_segment.median_watch_minutes IS 'Median watch minutes per person over the look-back window, at its last run.';
COMMENT ON COLUMN mart.dim_segment.top_categories IS 'Up to three content categories with the highest mean engagement share, ;-separated.';
COMMENT ON COLUMN mart.dim_segment.profile_json IS 'The whole profile in plain units as JSON (persons, medians of spend, watch minutes, recency and frequency, buyer share, mean completion rate, mean sources touched, top categories, most common tier).';
COMMENT ON COLUMN mart.dim_segment.first_run IS 'Run date the segment first appeared.';
COMMENT ON COLUMN mart.dim_segment.last_run IS 'Last run date the segment was found.';
COMMENT ON COLUMN mart.dim_segment.retired_on IS 'Run date from which the segment was no longer found; empty while active.';

CREATE TABLE IF NOT EXISTS mart.person_segment (
    run_date DATE NOT NULL,
    person_key TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    PRIMARY KEY (run_date, person_key)
);
COMMENT ON TABLE mart.person_segment IS 'Segment of each person per run date; persons of segments smaller than privacy.min_cell_size are in segment other, or left out when other is itself too small.';
COMMENT ON COLUMN mart.person_segment.run_date IS 'Run date (Asia/Shanghai) of the segmentation job.';
COMMENT ON COLUMN mart.person_segment.person_key IS 'Pseudonymous person key (HMAC-SHA256), no direct identifier.';
COMMENT ON COLUMN mart.person_segment.segment_id IS 'mart.dim_segment.segment_id.';
