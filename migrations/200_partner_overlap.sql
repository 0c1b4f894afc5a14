-- De-identification (issue 4): persons shared by partners, published only in cells of >= k persons.
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE IF NOT EXISTS mart.partner_overlap (
    dt               DATE    NOT NULL,
    source_a         TEXT    NOT NULL,
    source_b         TEXT    NOT NULL,
    persons          BIGINT,
    suppressed_cells INTEGER NOT NULL
);

COMMENT ON TABLE mart.partner_overlap IS
    'Distinct persons known to both sources of a pair (cumulative up to dt), from the person dimension. Pairs counting 1..k-1 persons are folded into one row with source_a = source_b = ''(suppressed)''; summing persons over a dt gives the true total of pair memberships unless even the folded row counts fewer than k (then its persons is NULL).';
COMMENT ON COLUMN mart.partner_overlap.dt IS 'Run date (partition); the overlap as of that night.';
COMMENT ON COLUMN mart.partner_overlap.source_a IS 'Source id, alphabetically first of the pair, or (suppressed).';
COMMENT ON COLUMN mart.partner_overlap.source_b IS 'Source id, alphabetically second of the pair, or (suppressed).';
COMMENT ON COLUMN mart.partner_overlap.persons IS 'Distinct persons (person_key) known to both sources; 0 or at least k; NULL only on a summary row below k.';
COMMENT ON COLUMN mart.partner_overlap.suppressed_cells IS '0 on a published pair; on the (suppressed) row, how many pairs it folds together.';
