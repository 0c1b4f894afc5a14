-- The nights whose settlement has been published, and the night its marts were computed up to.
-- A rerun of an earlier night computes as of the latest night already settled, so that it
-- never rewinds the cumulative settlement marts to an older view.
CREATE TABLE IF NOT EXISTS ops.settlement_night (
    dt DATE PRIMARY KEY,
    as_of DATE NOT NULL
);
COMMENT ON TABLE ops.settlement_night IS 'One row per night whose settlement was published (rerun: replaced).';
COMMENT ON COLUMN ops.settlement_night.dt IS 'Run date (Asia/Shanghai) of the night.';
COMMENT ON COLUMN ops.settlement_night.as_of IS 'Clean data with dt up to this date was settled: the run date, or for a rerun of an earlier night the latest night settled before it.';
