-- Settlement and campaign metrics (issue 7).
-- Money: NUMERIC(18,2) in major units (yuan for CNY) next to a currency column; the pipeline
-- computes in integer minor units (fen) and never uses floats for money. Ratios: NUMERIC(18,6).
CREATE SCHEMA IF NOT EXISTS mart;
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.settlement_period (
    period TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    closed_at TIMESTAMPTZ NOT NULL,
    closed_through DATE NOT NULL
);
COMMENT ON TABLE ops.settlement_period IS 'Settlement periods closed by the monthly close; a period absent here is open. Closed statements are never rewritten.';
COMMENT ON COLUMN ops.settlement_period.period IS 'Calendar month YYYY-MM in Asia/Shanghai.';
COMMENT ON COLUMN ops.settlement_period.status IS 'closed.';
COMMENT ON COLUMN ops.settlement_period.closed_at IS 'When the close ran (UTC).';
COMMENT ON COLUMN ops.settlement_period.closed_through IS 'Run date whose clean data the closed statements were computed from (data with dt up to this date).';

CREATE TABLE IF NOT EXISTS mart.settlement_statement (
    period TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    contract_id TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    rate_model TEXT NOT NULL,
    order_net_amount NUMERIC(18,2) NOT NULL,
    rate_share_amount NUMERIC(18,2) NOT NULL,
    top_up_amount NUMERIC(18,2) NOT NULL,
    cap_amount NUMERIC(18,2) NOT NULL,
    adjustment_net_amount NUMERIC(18,2) NOT NULL,
    adjustment_partner_amount NUMERIC(18,2) NOT NULL,
    net_amount NUMERIC(18,2) NOT NULL,
    partner_share NUMERIC(18,2) NOT NULL,
    platform_share NUMERIC(18,2) NOT NULL,
    line_count INTEGER NOT NULL,
    closed_at TIMESTAMPTZ,
    PRIMARY KEY (period, partner_id, contract_id)
);
COMMENT ON TABLE mart.settlement_statement IS 'Settlement statement headers, one per partner, contract and period (calendar month, Asia/Shanghai). Open statements are recomputed nightly; closed ones never change. Header amounts equal the sums of the statement''s lines in mart.fct_settlement_line, and partner_share + platform_share = net_amount exactly.';
COMMENT ON COLUMN mart.settlement_statement.period IS 'Calendar month YYYY-MM in Asia/Shanghai (partition key).';
COMMENT ON COLUMN mart.settlement_statement.partner_id IS 'Partner source id (dim_source.source_id).';
COMMENT ON COLUMN mart.settlement_statement.contract_id IS 'Revenue-share contract id.';
COMMENT ON COLUMN mart.settlement_statement.status IS 'open (recomputed nightly) or closed (final, never changes; later corrections are adjustment lines in the next open period).';
COMMENT ON COLUMN mart.settlement_statement.currency IS 'Contract currency (ISO 4217) of every amount of the statement.';
COMMENT ON COLUMN mart.settlement_statement.rate_model IS 'flat, graduated (tiers like tax brackets) or volume (the reached tier''s rate on everything).';
COMMENT ON COLUMN mart.settlement_statement.order_net_amount IS 'Attributed net revenue of the period''s own orders, in the contract currency (major units, NUMERIC(18,2)).';
COMMENT ON COLUMN mart.settlement_statement.rate_share_amount IS 'Partner share from the rate model on order_net_amount, rounded half-even once (major units).';
COMMENT ON COLUMN mart.settlement_statement.top_up_amount IS 'Minimum-guarantee top-up (>= 0, major units).';
COMMENT ON COLUMN mart.settlement_statement.cap_amount IS 'Cap reduction (<= 0, major units).';
COMMENT ON COLUMN mart.settlement_statement.adjustment_net_amount IS 'Net revenue change of earlier closed periods posted here (major units).';
COMMENT ON COLUMN mart.settlement_statement.adjustment_partner_amount IS 'Partner share change of earlier closed periods posted here (major units).';
COMMENT ON COLUMN mart.settlement_statement.net_amount IS 'Total net revenue of the statement = sum of its lines'' net_amount (major units).';
COMMENT ON COLUMN mart.settlement_statement.partner_share IS 'Total owed to the partner = rate_share + top_up + cap + adjustment_partner (major units).';
COMMENT ON COLUMN mart.settlement_statement.platform_share IS 'net_amount - partner_share, exactly (major units).';
COMMENT ON COLUMN mart.settlement_statement.line_count IS 'Number of lines of the statement.';
COMMENT ON COLUMN mart.settlement_statement.closed_at IS 'When the statement was closed (UTC); NULL while open.';

CREATE TABLE IF NOT EXISTS mart.fct_settlement_line (
    period TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    contract_id TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    statement_status TEXT NOT NULL,
    line_type TEXT NOT NULL,
    reason_code TEXT,
    adjusts_period TEXT,
    order_source TEXT,
    order_id TEXT,
    campaign_id TEXT,
    order_date DATE,
    order_status TEXT,
    order_currency TEXT,
    order_credit_amount NUMERIC(18,2),
    fx_rate NUMERIC(18,6),
    currency TEXT NOT NULL,
    net_amount NUMERIC(18,2) NOT NULL,
    partner_share NUMERIC(18,2) NOT NULL,
    platform_share NUMERIC(18,2) NOT NULL,
    PRIMARY KEY (period, partner_id, contract_id, line_no)
);
COMMENT ON TABLE mart.fct_settlement_line IS 'Lines of the settlement statements: orders (one per order and credited campaign), minimum-guarantee top-ups, caps and adjustments of closed periods. Amounts are rounded half-even once per line; lines sum to their statement header.';
COMMENT ON COLUMN mart.fct_settlement_line.period IS 'Statement period YYYY-MM (Asia/Shanghai), partition key.';
COMMENT ON COLUMN mart.fct_settlement_line.partner_id IS 'Partner source id.';
COMMENT ON COLUMN mart.fct_settlement_line.contract_id IS 'Contract id.';
COMMENT ON COLUMN mart.fct_settlement_line.line_no IS 'Line number within the statement, from 1.';
COMMENT ON COLUMN mart.fct_settlement_line.statement_status IS 'Status of the statement the line belongs to: open or closed.';
COMMENT ON COLUMN mart.fct_settlement_line.line_type IS 'order, top_up (minimum guarantee), cap or adjustment.';
COMMENT ON COLUMN mart.fct_settlement_line.reason_code IS 'Adjustments only: LATE_ORDER, REFUND_AFTER_CLOSE, CHARGEBACK_AFTER_CLOSE, REATTRIBUTION, CORRECTION or RATE_RECALC (partner share change of the closed period not carried by one order line).';
COMMENT ON COLUMN mart.fct_settlement_line.adjusts_period IS 'Adjustments only: the closed period YYYY-MM the line corrects.';
COMMENT ON COLUMN mart.fct_settlement_line.order_source IS 'Source id that delivered the order.';
COMMENT ON COLUMN mart.fct_settlement_line.order_id IS 'Order id (unique per source).';
COMMENT ON COLUMN mart.fct_settlement_line.campaign_id IS 'Campaign credited with (part of) the order.';
COMMENT ON COLUMN mart.fct_settlement_line.order_date IS 'Order date in Asia/Shanghai; its fx rate converts the order.';
COMMENT ON COLUMN mart.fct_settlement_line.order_status IS 'Status of the latest version of the order: paid, refunded, partially_refunded or chargeback.';
COMMENT ON COLUMN mart.fct_settlement_line.order_currency IS 'Currency of the order (ISO 4217).';
COMMENT ON COLUMN mart.fct_settlement_line.order_credit_amount IS 'Order lines: the campaign''s credit of the order net amount, in the order currency (major units); credits of one order sum to its net amount.';
COMMENT ON COLUMN mart.fct_settlement_line.fx_rate IS 'Contract-currency units per order-currency unit on the order date, shown to 6 places; the line uses the exact rate cny_per_unit(order currency) / cny_per_unit(contract currency).';
COMMENT ON COLUMN mart.fct_settlement_line.currency IS 'Contract currency of net_amount, partner_share and platform_share.';
COMMENT ON COLUMN mart.fct_settlement_line.net_amount IS 'Net revenue of the line in the contract currency (major units): converted credit rounded half-even once; 0 on top_up and cap lines; the change for adjustments.';
COMMENT ON COLUMN mart.fct_settlement_line.partner_share IS 'Partner''s part (major units): the period''s rate share spread over order lines by largest remainder; the top-up, cap or adjustment amount otherwise.';
COMMENT ON COLUMN mart.fct_settlement_line.platform_share IS 'net_amount - partner_share, exactly (major units).';

CREATE TABLE IF NOT EXISTS mart.fct_order (
    order_source TEXT NOT NULL,
    order_id TEXT NOT NULL,
    person_key TEXT NOT NULL,
    content_id TEXT NOT NULL,
    order_date DATE NOT NULL,
    period TEXT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT,
    currency TEXT NOT NULL,
    amount NUMERIC(18,2) NOT NULL,
    refund_amount NUMERIC(18,2) NOT NULL,
    net_amount NUMERIC(18,2) NOT NULL,
    fx_cny_per_unit NUMERIC(18,6) NOT NULL,
    net_amount_cny NUMERIC(18,2) NOT NULL,
    is_first_order BOOLEAN NOT NULL,
    attribution_method TEXT,
    partner_id TEXT,
    contract_id TEXT,
    campaign_count INTEGER NOT NULL,
    PRIMARY KEY (order_source, order_id)
);
COMMENT ON TABLE mart.fct_order IS 'Orders, de-identified, latest delivered version, with their attribution (credits per campaign in mart.fct_order_attribution). Replaced in full each night.';
COMMENT ON COLUMN mart.fct_order.order_source IS 'Source id that delivered the order.';
COMMENT ON COLUMN mart.fct_order.order_id IS 'Order id (unique per source).';
COMMENT ON COLUMN mart.fct_order.person_key IS 'Pseudonymous buyer key (HMAC-SHA256); no direct identifier.';
COMMENT ON COLUMN mart.fct_order.content_id IS 'Content bought (dim_content).';
COMMENT ON COLUMN mart.fct_order.order_date IS 'Order date in Asia/Shanghai (the time of day is not published).';
COMMENT ON COLUMN mart.fct_order.period IS 'Settlement period YYYY-MM of the order date.';
COMMENT ON COLUMN mart.fct_order.status IS 'paid, refunded, partially_refunded or chargeback (latest version).';
COMMENT ON COLUMN mart.fct_order.channel IS 'Sales channel: app, web, mini_program or partner_store.';
COMMENT ON COLUMN mart.fct_order.currency IS 'Order currency (ISO 4217) of amount, refund_amount and net_amount.';
COMMENT ON COLUMN mart.fct_order.amount IS 'Amount paid, order currency, major units.';
COMMENT ON COLUMN mart.fct_order.refund_amount IS 'Refunded or charged back so far (the whole amount for refunded or chargeback orders without a figure), order currency, major units.';
COMMENT ON COLUMN mart.fct_order.net_amount IS 'amount - refund_amount, order currency, major units.';
COMMENT ON COLUMN mart.fct_order.fx_cny_per_unit IS 'CNY per unit of the order currency on the order date (1 for CNY).';
COMMENT ON COLUMN mart.fct_order.net_amount_cny IS 'net_amount in CNY at fx_cny_per_unit, rounded half-even once (major units).';
COMMENT ON COLUMN mart.fct_order.is_first_order IS 'True for the buyer''s first order on the platform (the buyer is a new person).';
COMMENT ON COLUMN mart.fct_order.attribution_method IS 'referral_code, the attribution model used (last_touch, first_touch, linear, position_based, time_decay), or NULL when no partner campaign is credited.';
COMMENT ON COLUMN mart.fct_order.partner_id IS 'Partner the order is attributed to, NULL if none.';
COMMENT ON COLUMN mart.fct_order.contract_id IS 'Contract that settles the order, NULL if none covers it.';
COMMENT ON COLUMN mart.fct_order.campaign_count IS 'Number of campaigns credited with part of the order (0 when unattributed).';

CREATE TABLE IF NOT EXISTS mart.fct_order_attribution (
    order_source TEXT NOT NULL,
    order_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    contract_id TEXT,
    method TEXT NOT NULL,
    weight NUMERIC(18,6) NOT NULL,
    currency TEXT NOT NULL,
    credit_amount NUMERIC(18,2) NOT NULL,
    order_date DATE NOT NULL,
    PRIMARY KEY (order_source, order_id, campaign_id)
);
COMMENT ON TABLE mart.fct_order_attribution IS 'Attribution credits: the part of each order''s net amount credited to each partner campaign. Credits of one order sum exactly to mart.fct_order.net_amount.';
COMMENT ON COLUMN mart.fct_order_attribution.order_source IS 'Source id that delivered the order.';
COMMENT ON COLUMN mart.fct_order_attribution.order_id IS 'Order id.';
COMMENT ON COLUMN mart.fct_order_attribution.campaign_id IS 'Credited campaign.';
COMMENT ON COLUMN mart.fct_order_attribution.partner_id IS 'Partner running the campaign.';
COMMENT ON COLUMN mart.fct_order_attribution.contract_id IS 'Contract that settles the credit; NULL when the partner has none covering the order.';
COMMENT ON COLUMN mart.fct_order_attribution.method IS 'referral_code or the attribution model (last_touch, first_touch, linear, position_based, time_decay).';
COMMENT ON COLUMN mart.fct_order_attribution.weight IS 'The model''s weight of the campaign for this order (weights of an order sum to 1), 6 places.';
COMMENT ON COLUMN mart.fct_order_attribution.currency IS 'Order currency of credit_amount.';
COMMENT ON COLUMN mart.fct_order_attribution.credit_amount IS 'Credited net amount, order currency, major units; split by largest remainder.';
COMMENT ON COLUMN mart.fct_order_attribution.order_date IS 'Order date in Asia/Shanghai.';

CREATE TABLE IF NOT EXISTS mart.fct_campaign_daily (
    date DATE NOT NULL,
    campaign_id TEXT NOT NULL,
    partner_id TEXT,
    channel TEXT NOT NULL,
    is_total BOOLEAN NOT NULL,
    impressions BIGINT NOT NULL,
    clicks BIGINT NOT NULL,
    spend_cny NUMERIC(18,2) NOT NULL,
    attributed_orders BIGINT,
    new_persons BIGINT,
    new_persons_suppressed BOOLEAN NOT NULL,
    revenue_u_cny NUMERIC(18,2),
    revenue_p_cny NUMERIC(18,2),
    ctr NUMERIC(18,6),
    cvr NUMERIC(18,6),
    roas_u NUMERIC(18,6),
    roi_u NUMERIC(18,6),
    roas_p NUMERIC(18,6),
    roi_p NUMERIC(18,6),
    cac_cny NUMERIC(18,6),
    PRIMARY KEY (date, campaign_id, channel)
);
COMMENT ON TABLE mart.fct_campaign_daily IS 'Campaign KPIs per date (Asia/Shanghai) and media channel. Rows with channel = all (is_total) hold the campaign-day totals and the attributed outcomes; do not add them to the channel rows. Ratios are computed from the row''s summed parts, NULL when the denominator is 0; to aggregate, sum the parts and divide again.';
COMMENT ON COLUMN mart.fct_campaign_daily.date IS 'Date in Asia/Shanghai.';
COMMENT ON COLUMN mart.fct_campaign_daily.campaign_id IS 'Campaign (dim_campaign).';
COMMENT ON COLUMN mart.fct_campaign_daily.partner_id IS 'Partner running the campaign.';
COMMENT ON COLUMN mart.fct_campaign_daily.channel IS 'Media channel (wechat, douyin, weibo, xiaohongshu, bilibili) or all for the campaign-day total.';
COMMENT ON COLUMN mart.fct_campaign_daily.is_total IS 'True on the channel = all row.';
COMMENT ON COLUMN mart.fct_campaign_daily.impressions IS 'Impressions delivered (partner delivery report).';
COMMENT ON COLUMN mart.fct_campaign_daily.clicks IS 'Clicks delivered.';
COMMENT ON COLUMN mart.fct_campaign_daily.spend_cny IS 'Media spend C in CNY at the day''s fx rate, major units, rounded half-even once per row.';
COMMENT ON COLUMN mart.fct_campaign_daily.attributed_orders IS 'Orders of the day credited (wholly or in part) to the campaign; total rows only.';
COMMENT ON COLUMN mart.fct_campaign_daily.new_persons IS 'Distinct persons whose first order on the platform was credited to the campaign that day; NULL when suppressed by the minimum-cell rule (see campaign_growth.new_persons_suppressed). Total rows only.';
COMMENT ON COLUMN mart.fct_campaign_daily.new_persons_suppressed IS 'True when new_persons is withheld because it (or its reconciling remainder) is below k persons.';
COMMENT ON COLUMN mart.fct_campaign_daily.revenue_u_cny IS 'R_U: attributed net revenue credited to the campaign, CNY at the order date''s rate, major units. Total rows only.';
COMMENT ON COLUMN mart.fct_campaign_daily.revenue_p_cny IS 'R_P: partner-side revenue: the partner share of the order lines of the campaign''s orders (before minimum-guarantee top-ups and caps), CNY, major units. Total rows only.';
COMMENT ON COLUMN mart.fct_campaign_daily.ctr IS 'clicks / impressions.';
COMMENT ON COLUMN mart.fct_campaign_daily.cvr IS 'attributed_orders / clicks.';
COMMENT ON COLUMN mart.fct_campaign_daily.roas_u IS 'R_U / C (revenue_u_cny / spend_cny).';
COMMENT ON COLUMN mart.fct_campaign_daily.roi_u IS '(R_U - C) / C.';
COMMENT ON COLUMN mart.fct_campaign_daily.roas_p IS 'R_P / C.';
COMMENT ON COLUMN mart.fct_campaign_daily.roi_p IS '(R_P - C) / C.';
COMMENT ON COLUMN mart.fct_campaign_daily.cac_cny IS 'Customer acquisition cost: spend_cny / new_persons, CNY; NULL when new_persons is 0 or suppressed.';

CREATE TABLE IF NOT EXISTS mart.campaign_growth (
    campaign_id TEXT PRIMARY KEY,
    first_date DATE NOT NULL,
    last_date DATE NOT NULL,
    days INTEGER NOT NULL,
    new_persons_total BIGINT,
    new_persons_suppressed BIGINT NOT NULL,
    saturation_k DOUBLE PRECISION,
    growth_rate_r DOUBLE PRECISION,
    midpoint_date DATE,
    r_squared DOUBLE PRECISION,
    rmse DOUBLE PRECISION,
    fit_status TEXT NOT NULL
);
COMMENT ON TABLE mart.campaign_growth IS 'Logistic growth curve K / (1 + exp(-r (t - midpoint))) fitted to each campaign''s cumulative new persons by day, published beside the actuals in fct_campaign_daily, with the minimum-cell reconciliation.';
COMMENT ON COLUMN mart.campaign_growth.campaign_id IS 'Campaign (dim_campaign).';
COMMENT ON COLUMN mart.campaign_growth.first_date IS 'First date with an attributed order.';
COMMENT ON COLUMN mart.campaign_growth.last_date IS 'Last date with an attributed order.';
COMMENT ON COLUMN mart.campaign_growth.days IS 'Days from first_date to last_date, inclusive.';
COMMENT ON COLUMN mart.campaign_growth.new_persons_total IS 'All new persons of the campaign; NULL when fewer than k.';
COMMENT ON COLUMN mart.campaign_growth.new_persons_suppressed IS 'New persons in suppressed daily cells: new_persons_total = sum of published fct_campaign_daily.new_persons + this.';
COMMENT ON COLUMN mart.campaign_growth.saturation_k IS 'Fitted saturation K (persons).';
COMMENT ON COLUMN mart.campaign_growth.growth_rate_r IS 'Fitted growth rate r per day.';
COMMENT ON COLUMN mart.campaign_growth.midpoint_date IS 'Fitted midpoint (inflection) date.';
COMMENT ON COLUMN mart.campaign_growth.r_squared IS 'Coefficient of determination of the fit on the cumulative series.';
COMMENT ON COLUMN mart.campaign_growth.rmse IS 'Root mean squared error of the fit, persons.';
COMMENT ON COLUMN mart.campaign_growth.fit_status IS 'ok, too_few_points, no_convergence or below_min_cell (not fitted).';

CREATE TABLE IF NOT EXISTS mart.dim_campaign (
    campaign_id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    referral_code TEXT,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    budget NUMERIC(18,2),
    currency TEXT NOT NULL,
    objective TEXT
);
COMMENT ON TABLE mart.dim_campaign IS 'Co-marketing campaigns (latest platform snapshot).';
COMMENT ON COLUMN mart.dim_campaign.campaign_id IS 'Campaign id.';
COMMENT ON COLUMN mart.dim_campaign.partner_id IS 'Partner source id.';
COMMENT ON COLUMN mart.dim_campaign.name IS 'Campaign name.';
COMMENT ON COLUMN mart.dim_campaign.referral_code IS 'Referral code that attributes an order directly.';
COMMENT ON COLUMN mart.dim_campaign.start_date IS 'First day.';
COMMENT ON COLUMN mart.dim_campaign.end_date IS 'Last day.';
COMMENT ON COLUMN mart.dim_campaign.budget IS 'Budget, major units of currency.';
COMMENT ON COLUMN mart.dim_campaign.currency IS 'Budget currency.';
COMMENT ON COLUMN mart.dim_campaign.objective IS 'awareness, acquisition, conversion or retention.';

CREATE TABLE IF NOT EXISTS mart.dim_content (
    content_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    owner_source TEXT NOT NULL,
    co_brand_partners TEXT,
    co_brand_count INTEGER NOT NULL,
    category TEXT NOT NULL,
    list_price NUMERIC(18,2) NOT NULL,
    currency TEXT NOT NULL,
    launched_date DATE NOT NULL
);
COMMENT ON TABLE mart.dim_content IS 'Content the platform sells (latest catalog snapshot), with its co-brand partners.';
COMMENT ON COLUMN mart.dim_content.content_id IS 'Content id.';
COMMENT ON COLUMN mart.dim_content.title IS 'Title.';
COMMENT ON COLUMN mart.dim_content.owner_source IS 'Source id that owns the content.';
COMMENT ON COLUMN mart.dim_content.co_brand_partners IS 'Partner source ids co-branding it, sorted, ;-separated; NULL if none.';
COMMENT ON COLUMN mart.dim_content.co_brand_count IS 'Number of co-brand partners.';
COMMENT ON COLUMN mart.dim_content.category IS 'Category.';
COMMENT ON COLUMN mart.dim_content.list_price IS 'List price, major units of currency.';
COMMENT ON COLUMN mart.dim_content.currency IS 'Currency of list_price.';
COMMENT ON COLUMN mart.dim_content.launched_date IS 'Launch date in Asia/Shanghai.';

CREATE TABLE IF NOT EXISTS mart.dim_date (
    date DATE PRIMARY KEY,
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    day INTEGER NOT NULL,
    period TEXT NOT NULL,
    iso_week INTEGER NOT NULL,
    weekday INTEGER NOT NULL,
    is_weekend BOOLEAN NOT NULL
);
COMMENT ON TABLE mart.dim_date IS 'Calendar dates (Asia/Shanghai business dates) covering the orders and campaign days.';
COMMENT ON COLUMN mart.dim_date.date IS 'Date.';
COMMENT ON COLUMN mart.dim_date.year IS 'Year.';
COMMENT ON COLUMN mart.dim_date.month IS 'Month 1-12.';
COMMENT ON COLUMN mart.dim_date.day IS 'Day of month.';
COMMENT ON COLUMN mart.dim_date.period IS 'Settlement period YYYY-MM.';
COMMENT ON COLUMN mart.dim_date.iso_week IS 'ISO 8601 week number.';
COMMENT ON COLUMN mart.dim_date.weekday IS 'ISO weekday, 1 = Monday.';
COMMENT ON COLUMN mart.dim_date.is_weekend IS 'Saturday or Sunday.';
