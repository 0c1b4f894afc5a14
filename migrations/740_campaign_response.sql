-- Marketing (issue 16): campaign response among the targeted audience against the rest.
-- Shared (privacy/outputs.py): every person count is 0, at least k, or withheld (NULL).
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE IF NOT EXISTS mart.fct_campaign_response (
    date DATE NOT NULL,
    campaign_id TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    audience_dt DATE NOT NULL,
    targeted_persons BIGINT,
    targeted_clicked BIGINT,
    targeted_ordered BIGINT,
    rest_persons BIGINT,
    rest_clicked BIGINT,
    rest_ordered BIGINT,
    targeted_click_rate NUMERIC(18,6),
    targeted_order_rate NUMERIC(18,6),
    rest_click_rate NUMERIC(18,6),
    rest_order_rate NUMERIC(18,6),
    PRIMARY KEY (date, campaign_id)
);
COMMENT ON TABLE mart.fct_campaign_response IS 'Shared (may leave the platform: every person count is 0, at least k, or withheld). Per campaign and date, the response of the persons the campaign''s audience file (sent the night before, audience_dt) targeted against the rest of its eligible persons. Copied onto mart.fct_campaign_daily''s total rows.';
COMMENT ON COLUMN mart.fct_campaign_response.date IS 'Date of the responses (Asia/Shanghai): the night''s dt.';
COMMENT ON COLUMN mart.fct_campaign_response.campaign_id IS 'Campaign (dim_campaign).';
COMMENT ON COLUMN mart.fct_campaign_response.partner_id IS 'Source running the campaign (a partner, or the platform).';
COMMENT ON COLUMN mart.fct_campaign_response.audience_dt IS 'Night whose audience file is compared (the latest before date).';
COMMENT ON COLUMN mart.fct_campaign_response.targeted_persons IS 'Eligible persons the audience of audience_dt targeted (in the campaign''s target segments); NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_response.targeted_clicked IS 'Targeted persons who clicked the campaign on date; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_response.targeted_ordered IS 'Targeted persons with an order of date credited to the campaign; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_response.rest_persons IS 'Eligible persons (partner''s customers, consenting, scored and segmented) not targeted; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_response.rest_clicked IS 'Persons of the rest who clicked the campaign on date; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_response.rest_ordered IS 'Persons of the rest with an order of date credited to the campaign; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_response.targeted_click_rate IS 'targeted_clicked / targeted_persons, 6 places; NULL when either is withheld or 0 persons.';
COMMENT ON COLUMN mart.fct_campaign_response.targeted_order_rate IS 'targeted_ordered / targeted_persons.';
COMMENT ON COLUMN mart.fct_campaign_response.rest_click_rate IS 'rest_clicked / rest_persons.';
COMMENT ON COLUMN mart.fct_campaign_response.rest_order_rate IS 'rest_ordered / rest_persons.';

ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS targeted_persons BIGINT;
ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS targeted_clicked BIGINT;
ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS targeted_ordered BIGINT;
ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS rest_persons BIGINT;
ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS rest_clicked BIGINT;
ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS rest_ordered BIGINT;
ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS targeted_click_rate NUMERIC(18,6);
ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS targeted_order_rate NUMERIC(18,6);
ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS rest_click_rate NUMERIC(18,6);
ALTER TABLE mart.fct_campaign_daily ADD COLUMN IF NOT EXISTS rest_order_rate NUMERIC(18,6);
COMMENT ON COLUMN mart.fct_campaign_daily.targeted_persons IS 'Total rows only, from mart.fct_campaign_response: Eligible persons the audience of audience_dt targeted (in the campaign''s target segments); NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_daily.targeted_clicked IS 'Total rows only, from mart.fct_campaign_response: Targeted persons who clicked the campaign on date; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_daily.targeted_ordered IS 'Total rows only, from mart.fct_campaign_response: Targeted persons with an order of date credited to the campaign; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_daily.rest_persons IS 'Total rows only, from mart.fct_campaign_response: Eligible persons (partner''s customers, consenting, scored and segmented) not targeted; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_daily.rest_clicked IS 'Total rows only, from mart.fct_campaign_response: Persons of the rest who clicked the campaign on date; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_daily.rest_ordered IS 'Total rows only, from mart.fct_campaign_response: Persons of the rest with an order of date credited to the campaign; NULL when 1..k-1.';
COMMENT ON COLUMN mart.fct_campaign_daily.targeted_click_rate IS 'Total rows only, from mart.fct_campaign_response: targeted_clicked / targeted_persons, 6 places; NULL when either is withheld or 0 persons.';
COMMENT ON COLUMN mart.fct_campaign_daily.targeted_order_rate IS 'Total rows only, from mart.fct_campaign_response: targeted_ordered / targeted_persons.';
COMMENT ON COLUMN mart.fct_campaign_daily.rest_click_rate IS 'Total rows only, from mart.fct_campaign_response: rest_clicked / rest_persons.';
COMMENT ON COLUMN mart.fct_campaign_daily.rest_order_rate IS 'Total rows only, from mart.fct_campaign_response: rest_ordered / rest_persons.';
