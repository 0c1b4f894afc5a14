"""The data contracts: one definition per dataset of DESIGN.md.

The generator, ingestion, the Great Expectations suites, de-identification and the docs all
read these objects; nothing else declares a dataset's columns.

Types (``dtype``):
    string, int, float, bool, date,
    timestamp   ISO 8601 with a UTC offset (``2026-11-23T21:05:00+08:00``)
    money       a decimal amount in major units with 2 places (``199.00``); code converts to
                minor units (fen) with :func:`alliance_pipeline.settlement.money.to_minor`
    rate        a decimal with 6 places (fx rates, contract rates)
    json        a JSON document (contract tiers)

PII treatment (``pii``), applied by de-identification past the raw zone:
    None            not personal data, kept as is
    "identity"      the source's user id: replaced by ``person_key``
    "drop"          direct identifier: used for ``person_key`` where listed in
                    :data:`IDENTITY_COLUMNS`, then dropped
    "age_band"      exact birth date: generalised to an age band, then dropped
    "city_tier"     exact city: generalised to province and city tier, then dropped
    "redact"        free text: every identifier shape inside it (mobile, e-mail, resident id
                    of 18 or 15 digits, bank card, QQ number, WeChat id, street address) and
                    the names of the persons of the users deliveries are redacted

Free-form columns (:meth:`Dataset.free_form_columns`: strings with no PII treatment, allowed
values or format that are not a key or a reference, e.g. ``referral_code``, a campaign's name)
are not meant to hold personal data; de-identification redacts identifier shapes in them too
(a mobile delivered as a referral code reaches the clean zone as ``[mobile]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# "click" extends DESIGN.md's list: a campaign click-through, the touch that attribution counts.
EVENT_TYPES = ("view", "click", "play", "progress", "complete", "like", "share", "favorite")
ORDER_STATUSES = ("paid", "refunded", "partially_refunded", "chargeback")
CURRENCIES = ("CNY", "USD", "HKD", "EUR")
ORDER_CHANNELS = ("app", "web", "mini_program", "partner_store")
DELIVERY_CHANNELS = ("wechat", "douyin", "weibo", "xiaohongshu", "bilibili")
MEMBERSHIP_TIERS = ("free", "silver", "gold", "platinum")
GENDERS = ("F", "M", "U")
DEVICES = ("ios", "android", "web", "mini_program")
OBJECTIVES = ("awareness", "acquisition", "conversion", "retention")
RATE_MODELS = ("flat", "graduated", "volume")
ATTRIBUTION_MODELS = ("last_touch", "first_touch", "linear", "position_based", "time_decay")
CONTRACT_SCOPES = ("all_attributed", "co_brand_content", "own_content")
CATEGORIES = (
    "business",
    "technology",
    "language",
    "arts",
    "health",
    "finance",
    "parenting",
    "exam_prep",
)

# Identifiers that make a person_key, strongest first: mobile first, e-mail otherwise.
IDENTITY_COLUMNS = ("mobile", "email")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    description: str
    nullable: bool = True
    pii: str | None = None
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    format: str | None = None  # "mobile_cn", "email", "cn_resident_id"
    partition_time: bool = False  # the timestamp that must fall inside the delivery's dt


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    delivered_by: tuple[str, ...]  # source kinds: "platform", "partner"
    references: dict[str, str] = field(default_factory=dict)  # column -> "dataset.column"
    # "reference": landed and validated before the night's facts, which are checked against it.
    wave: str = "facts"
    # Among a delivery's rows of one key, the one latest by this timestamp wins; the others are
    # superseded (quarantined as such). Rows tied at the latest are duplicates of the key.
    latest_by: str | None = None
    # Whether a night's volume follows the nights before (the row-count band); not so when it
    # follows what is declared (exposures start with an experiment): then only min_rows applies.
    steady: bool = True

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"dataset {self.name} has no column {name}")

    def pii_columns(self) -> dict[str, str]:
        return {c.name: c.pii for c in self.columns if c.pii}

    def free_form_columns(self) -> list[str]:
        """String columns a partner fills freely: checked for identifier shapes (redacted)."""
        fixed = set(self.key) | set(self.references)
        return [
            c.name
            for c in self.columns
            if c.dtype == "string"
            and c.pii is None
            and c.allowed is None
            and c.format is None
            and c.name not in fixed
        ]


def _c(name, dtype, description, **kw) -> Column:
    return Column(name=name, dtype=dtype, description=description, **kw)


USERS = Dataset(
    name="users",
    description="People known to a source, re-delivered whenever their record changes.",
    key=("source_user_id",),
    delivered_by=("platform", "partner"),
    wave="reference",
    latest_by="updated_at",
    columns=(
        _c("source_user_id", "string", "The source's own user id.", nullable=False, pii="identity"),
        _c("full_name", "string", "Full name.", pii="drop"),
        _c("mobile", "string", "Mobile number, any format.", pii="drop", format="mobile_cn"),
        _c("email", "string", "E-mail address.", pii="drop", format="email"),
        _c(
            "id_card_no",
            "string",
            "CN resident id number, may be empty.",
            pii="drop",
            format="cn_resident_id",
        ),
        _c("birth_date", "date", "Date of birth.", pii="age_band"),
        _c("gender", "string", "F, M or U.", allowed=GENDERS),
        _c("city", "string", "City of residence (Chinese name).", pii="city_tier"),
        _c("registered_at", "timestamp", "When the person registered.", nullable=False),
        _c("membership_tier", "string", "Membership tier.", allowed=MEMBERSHIP_TIERS),
        _c("marketing_consent", "bool", "Consent to cross-brand marketing.", nullable=False),
        _c(
            "updated_at",
            "timestamp",
            "Last change of the record.",
            nullable=False,
            partition_time=True,
        ),
    ),
)

EVENTS = Dataset(
    name="events",
    description="Engagement events on content and campaign touches.",
    key=("event_id",),
    delivered_by=("platform", "partner"),
    references={"source_user_id": "users.source_user_id", "content_id": "catalog.content_id"},
    columns=(
        _c("event_id", "string", "Event id, unique per source.", nullable=False),
        _c("source_user_id", "string", "Who.", nullable=False, pii="identity"),
        _c("content_id", "string", "Which content.", nullable=False),
        _c("event_type", "string", "What happened.", nullable=False, allowed=EVENT_TYPES),
        _c("event_at", "timestamp", "When.", nullable=False, partition_time=True),
        _c("duration_s", "int", "Seconds watched or read.", min=0, max=86_400),
        _c("progress_pct", "float", "Progress through the content.", min=0, max=100),
        _c("campaign_id", "string", "The campaign the event came through, if any."),
        _c("device", "string", "Device family.", allowed=DEVICES),
        _c("comment", "string", "Free text left by the person.", pii="redact"),
    ),
)

ORDERS = Dataset(
    name="orders",
    description="Orders; re-delivered when they change (a refund days later): latest updated_at wins.",
    key=("order_id",),
    delivered_by=("platform", "partner"),
    references={"source_user_id": "users.source_user_id", "content_id": "catalog.content_id"},
    latest_by="updated_at",
    columns=(
        _c("order_id", "string", "Order id, unique per source.", nullable=False),
        _c("source_user_id", "string", "Buyer.", nullable=False, pii="identity"),
        _c("content_id", "string", "What was bought.", nullable=False),
        _c("quantity", "int", "Units.", nullable=False, min=1, max=1000),
        _c("unit_price", "money", "Price per unit in the order currency.", nullable=False, min=0),
        _c("amount", "money", "quantity * unit_price.", nullable=False, min=0),
        _c("currency", "string", "ISO 4217.", nullable=False, allowed=CURRENCIES),
        _c("ordered_at", "timestamp", "When the order was placed.", nullable=False),
        _c("status", "string", "Order status.", nullable=False, allowed=ORDER_STATUSES),
        _c("refund_amount", "money", "Refunded or charged back so far.", min=0),
        _c("refunded_at", "timestamp", "When the last refund happened."),
        _c("referral_code", "string", "Referral code used at checkout."),
        _c("campaign_id", "string", "Campaign id passed at checkout."),
        _c("channel", "string", "Sales channel.", allowed=ORDER_CHANNELS),
        _c(
            "updated_at",
            "timestamp",
            "Last change of the order.",
            nullable=False,
            partition_time=True,
        ),
    ),
)

CAMPAIGN_DELIVERY = Dataset(
    name="campaign_delivery",
    description="A partner's daily delivery statistics per campaign and channel.",
    key=("campaign_id", "date", "channel"),
    delivered_by=("partner",),
    references={"campaign_id": "campaigns.campaign_id"},
    columns=(
        _c("campaign_id", "string", "Campaign.", nullable=False),
        _c("date", "date", "Delivery date (Asia/Shanghai).", nullable=False),
        _c("channel", "string", "Media channel.", nullable=False, allowed=DELIVERY_CHANNELS),
        _c("impressions", "int", "Impressions.", nullable=False, min=0),
        _c("clicks", "int", "Clicks; never above impressions.", nullable=False, min=0),
        _c("spend", "money", "Media spend.", nullable=False, min=0),
        _c("currency", "string", "Currency of spend.", nullable=False, allowed=CURRENCIES),
    ),
)

CAMPAIGNS = Dataset(
    name="campaigns",
    description="Co-marketing campaigns run with partners (full snapshot each night).",
    key=("campaign_id",),
    delivered_by=("platform",),
    wave="reference",
    columns=(
        _c("campaign_id", "string", "Campaign id.", nullable=False),
        _c("partner_id", "string", "Partner source id.", nullable=False),
        _c("name", "string", "Campaign name.", nullable=False),
        _c("referral_code", "string", "Referral code that attributes an order directly."),
        _c("start_date", "date", "First day.", nullable=False),
        _c("end_date", "date", "Last day.", nullable=False),
        _c("budget", "money", "Budget.", min=0),
        _c("currency", "string", "Budget currency.", nullable=False, allowed=CURRENCIES),
        _c("objective", "string", "Objective.", allowed=OBJECTIVES),
    ),
)

CATALOG = Dataset(
    name="catalog",
    description="Content the platform sells (full snapshot each night).",
    key=("content_id",),
    delivered_by=("platform",),
    wave="reference",
    columns=(
        _c("content_id", "string", "Content id.", nullable=False),
        _c("title", "string", "Title.", nullable=False),
        _c("owner_source", "string", "Source that owns the content.", nullable=False),
        _c("co_brand_partners", "string", "Partners co-branding it, ';'-separated."),
        _c("category", "string", "Category.", nullable=False, allowed=CATEGORIES),
        _c("list_price", "money", "List price.", nullable=False, min=0),
        _c("currency", "string", "Currency of the list price.", nullable=False, allowed=CURRENCIES),
        _c("launched_at", "timestamp", "Launch time.", nullable=False),
    ),
)

CONTRACTS = Dataset(
    name="contracts",
    description="Revenue-share contracts with partners (full snapshot each night).",
    key=("contract_id",),
    delivered_by=("platform",),
    wave="reference",
    columns=(
        _c("contract_id", "string", "Contract id.", nullable=False),
        _c("partner_id", "string", "Partner source id.", nullable=False),
        _c("scope", "string", "Which revenue it shares.", nullable=False, allowed=CONTRACT_SCOPES),
        _c(
            "rate_model",
            "string",
            "flat, graduated or volume.",
            nullable=False,
            allowed=RATE_MODELS,
        ),
        _c(
            "tiers",
            "json",
            'Tiers as [{"from": "0.00", "rate": "0.150000"}, ...], from in contract currency.',
            nullable=False,
        ),
        _c("minimum_guarantee", "money", "Monthly minimum paid to the partner.", min=0),
        _c("cap", "money", "Monthly maximum paid to the partner.", min=0),
        _c("currency", "string", "Contract currency.", nullable=False, allowed=CURRENCIES),
        _c(
            "attribution_model",
            "string",
            "How orders without a referral code are attributed.",
            nullable=False,
            allowed=ATTRIBUTION_MODELS,
        ),
        _c("window_days", "int", "Attribution look-back window.", nullable=False, min=1, max=90),
        _c(
            "count_views",
            "bool",
            "Whether views count as touches, not only clicks.",
            nullable=False,
        ),
        _c("effective_from", "date", "First day in force.", nullable=False),
        _c("effective_to", "date", "Last day in force; empty means open-ended."),
    ),
)

FX_RATES = Dataset(
    name="fx_rates",
    description="Daily exchange rates into CNY.",
    key=("date", "currency"),
    delivered_by=("platform",),
    wave="reference",
    columns=(
        _c("date", "date", "Rate date (Asia/Shanghai).", nullable=False),
        _c("currency", "string", "Currency.", nullable=False, allowed=CURRENCIES),
        _c("cny_per_unit", "rate", "CNY for one unit of the currency.", nullable=False, min=0),
    ),
)

EXPERIMENT_EXPOSURES = Dataset(
    name="experiment_exposures",
    description="Which persons saw which variant of an experiment, logged by the platform's app "
    "(config/experiments.yml declares the experiments); a person may be exposed many times.",
    key=("source_user_id", "experiment_id", "exposed_at"),
    delivered_by=("platform",),
    references={"source_user_id": "users.source_user_id"},
    steady=False,
    columns=(
        _c("source_user_id", "string", "Who saw it.", nullable=False, pii="identity"),
        _c("experiment_id", "string", "Experiment id of the registry.", nullable=False),
        _c("variant", "string", "Variant id the person saw.", nullable=False),
        _c("exposed_at", "timestamp", "When.", nullable=False, partition_time=True),
    ),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        USERS,
        EVENTS,
        ORDERS,
        CAMPAIGN_DELIVERY,
        CAMPAIGNS,
        CATALOG,
        CONTRACTS,
        FX_RATES,
        EXPERIMENT_EXPOSURES,
    )
}


def dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


# Columns that de-identification adds to every dataset it writes to the clean zone.
CLEAN_ADDED_COLUMNS = (
    Column("source", "string", "Source id the row came from.", nullable=False),
    Column("dt", "date", "Delivery partition the row came from.", nullable=False),
)
PERSON_KEY_COLUMNS = (
    Column("person_key", "string", "HMAC-SHA256 pseudonym (64 hex chars).", nullable=False),
    Column("key_version", "string", "Version of the pseudonym key.", nullable=False),
)
GENERALISED_USER_COLUMNS = (
    Column("age_band", "string", "Age band at the partition date, e.g. 25-34 or unknown."),
    Column("province", "string", "Province of the city, or unknown."),
    Column("city_tier", "string", "City tier 1, new1, 2, 3, 4 or unknown."),
)


def clean_columns(name: str) -> list[Column]:
    """The columns of a dataset in the clean zone: what de-identification writes.

    ``identity`` columns become ``person_key`` + ``key_version``; ``drop``, ``age_band`` and
    ``city_tier`` columns are removed (users gain the generalised columns); ``redact`` columns
    stay, redacted; every row gains ``source`` and ``dt``.
    """
    contract = dataset(name)
    out: list[Column] = []
    for col in contract.columns:
        if col.pii == "identity":
            out.extend(PERSON_KEY_COLUMNS)
        elif col.pii in ("drop", "age_band", "city_tier"):
            continue
        else:
            out.append(col)
    if name == "users":
        out.extend(GENERALISED_USER_COLUMNS)
    out.extend(CLEAN_ADDED_COLUMNS)
    return out
