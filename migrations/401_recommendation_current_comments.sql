-- Column comments for the mart.recommendation_current view (every mart column documented).
COMMENT ON COLUMN mart.recommendation_current.run_date IS 'Run date of the last published lists.';
COMMENT ON COLUMN mart.recommendation_current.person_key IS 'Pseudonymous person key (HMAC-SHA256), no direct identifier.';
COMMENT ON COLUMN mart.recommendation_current.rank IS 'Position in the list, 1 = best.';
COMMENT ON COLUMN mart.recommendation_current.content_id IS 'Recommended content (catalog content_id).';
COMMENT ON COLUMN mart.recommendation_current.score IS 'Ranking score, comparable only within one reason.';
COMMENT ON COLUMN mart.recommendation_current.item_source IS 'Source id that owns the content.';
COMMENT ON COLUMN mart.recommendation_current.reason IS 'als or segment_popular (see mart.recommendation).';
