-- A growth fit whose saturation K ends at its bound (100x the last cumulative count) has not
-- seen the curve bend: it is reported as not_saturating, without K, r or a midpoint.
COMMENT ON COLUMN mart.campaign_growth.fit_status IS 'ok; not fitted: too_few_points (under 4 days), below_min_cell (under k new persons in total), no_convergence, or not_saturating (the fitted K reached its bound of 100x the last cumulative count: the series is still accelerating, so K and the midpoint would be the bound, not estimates).';
