-- Experiments (issue 17): the nightly A/B readout, one row per run date, experiment, variant and
-- metric. Shared (privacy/outputs.py): every published variant describes at least k persons.
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE IF NOT EXISTS mart.experiment_readout (
    dt                DATE             NOT NULL,
    experiment_id     TEXT             NOT NULL,
    variant           TEXT             NOT NULL,
    is_control        BOOLEAN          NOT NULL,
    metric            TEXT             NOT NULL,
    metric_role       TEXT             NOT NULL,
    persons           BIGINT,
    suppressed_cells  INTEGER          NOT NULL,
    mean              DOUBLE PRECISION,
    total_amount      NUMERIC(18,2),
    currency          TEXT,
    lift              DOUBLE PRECISION,
    lift_ci_low       DOUBLE PRECISION,
    lift_ci_high      DOUBLE PRECISION,
    relative_lift     DOUBLE PRECISION,
    relative_ci_low   DOUBLE PRECISION,
    relative_ci_high  DOUBLE PRECISION,
    p_value           DOUBLE PRECISION,
    cuped_lift        DOUBLE PRECISION,
    cuped_ci_low      DOUBLE PRECISION,
    cuped_ci_high     DOUBLE PRECISION,
    cuped_p_value     DOUBLE PRECISION,
    required_persons  BIGINT,
    srm_p_value       DOUBLE PRECISION NOT NULL,
    srm_flag          BOOLEAN          NOT NULL,
    verdict           TEXT             NOT NULL,
    PRIMARY KEY (dt, experiment_id, variant, metric)
);

COMMENT ON TABLE mart.experiment_readout IS 'Shared (may leave the platform: every published variant describes at least k persons). A/B readout of each experiment of config/experiments.yml running on dt: per variant and metric, from exposed persons after their first exposure (fixed horizon, 95% intervals unless the experiment declares another alpha). A variant below k persons is withheld (persons NULL, suppressed_cells 1) with the next smallest while the withheld ones count fewer than k; a metric with 1..k-1 persons of non-zero value is withheld in its variant. The HTML report of each experiment is under reports/experiments/experiment_id=.../dt=.../.';
COMMENT ON COLUMN mart.experiment_readout.dt IS 'Run date (partition): metrics cover each person''s first exposure up to the end of this night (or of the experiment''s end_date).';
COMMENT ON COLUMN mart.experiment_readout.experiment_id IS 'Experiment id (config/experiments.yml).';
COMMENT ON COLUMN mart.experiment_readout.variant IS 'Variant id.';
COMMENT ON COLUMN mart.experiment_readout.is_control IS 'True for the control variant, against which lifts are measured.';
COMMENT ON COLUMN mart.experiment_readout.metric IS 'conversion, orders_per_person, revenue_per_person, recommended_plays_per_person, average_order_value or refund_rate (experiments/metrics.py).';
COMMENT ON COLUMN mart.experiment_readout.metric_role IS 'primary, guardrail (declared by the experiment) or secondary.';
COMMENT ON COLUMN mart.experiment_readout.persons IS 'Distinct exposed persons counted in the variant (0 or at least k; NULL where withheld).';
COMMENT ON COLUMN mart.experiment_readout.suppressed_cells IS '1 when the variant is withheld by the k rule, else 0.';
COMMENT ON COLUMN mart.experiment_readout.mean IS 'The variant''s value of the metric: per exposed person (mean metrics) or sum over sum (ratio metrics); money metrics in CNY.';
COMMENT ON COLUMN mart.experiment_readout.total_amount IS 'Money metrics: the exact settled net revenue (CNY, major units) of the variant''s exposed persons after exposure, from mart.fct_order.net_amount_cny; NULL otherwise.';
COMMENT ON COLUMN mart.experiment_readout.currency IS 'CNY for money metrics, NULL otherwise.';
COMMENT ON COLUMN mart.experiment_readout.lift IS 'mean - the control''s mean (same units as mean); NULL on the control.';
COMMENT ON COLUMN mart.experiment_readout.lift_ci_low IS 'Lower end of the confidence interval of lift (Welch t for mean metrics, delta method for ratio metrics).';
COMMENT ON COLUMN mart.experiment_readout.lift_ci_high IS 'Upper end of the confidence interval of lift.';
COMMENT ON COLUMN mart.experiment_readout.relative_lift IS 'mean / the control''s mean - 1.';
COMMENT ON COLUMN mart.experiment_readout.relative_ci_low IS 'Lower end of the relative lift''s interval (delta method).';
COMMENT ON COLUMN mart.experiment_readout.relative_ci_high IS 'Upper end of the relative lift''s interval (delta method).';
COMMENT ON COLUMN mart.experiment_readout.p_value IS 'Two-sided p-value of lift = 0.';
COMMENT ON COLUMN mart.experiment_readout.cuped_lift IS 'Lift after CUPED variance reduction with the same metric over the pre_period_days before each person''s first exposure (mean metrics only).';
COMMENT ON COLUMN mart.experiment_readout.cuped_ci_low IS 'Lower end of the CUPED lift''s interval.';
COMMENT ON COLUMN mart.experiment_readout.cuped_ci_high IS 'Upper end of the CUPED lift''s interval.';
COMMENT ON COLUMN mart.experiment_readout.cuped_p_value IS 'Two-sided p-value of the CUPED lift.';
COMMENT ON COLUMN mart.experiment_readout.required_persons IS 'Persons per variant the declared minimum detectable effect needs at the experiment''s alpha and power, from the control''s variance (mean metrics).';
COMMENT ON COLUMN mart.experiment_readout.srm_p_value IS 'Sample-ratio-mismatch check: chi-square p-value of persons per variant against the declared weights (the same on every row of the experiment).';
COMMENT ON COLUMN mart.experiment_readout.srm_flag IS 'True when srm_p_value < 0.001: the split is broken, no variant is declared better or worse.';
COMMENT ON COLUMN mart.experiment_readout.verdict IS 'control, better, worse (significant at alpha, in the metric''s good or bad direction), inconclusive, sample_ratio_mismatch or suppressed.';
