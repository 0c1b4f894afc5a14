"""De-identification as pure Spark column and DataFrame transforms (built-in functions only).

Each function mirrors the Python reference of :mod:`.normalise` / :mod:`.pseudonym` with the same
pattern strings. No session, path or clock in here: the run date comes in as ``as_of``.

The HMAC key enters the plan as two 64-byte literals (the RFC 2104 padded keys). Jobs must set
``spark.sql.redaction.string.regex`` to ``spark_session.PLAN_REDACTION_REGEX`` (as
``spark_session.SPARK_CONF`` does) so that plans shown in the Spark UI, event logs and
``explain`` output hide them. The session time zone must be UTC
(:func:`local_date` relies on it).
"""

from __future__ import annotations

import datetime
from itertools import chain

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from alliance_pipeline import contracts
from alliance_pipeline.privacy import normalise as N
from alliance_pipeline.privacy.pseudonym import FALLBACK_PREFIX, PseudonymKey
from alliance_pipeline.settings import PLATFORM_TIMEZONE


def _narrow(col: Column) -> Column:
    return F.translate(col, N.WIDE, N.NARROW)


def mobile_e164(col: Column) -> Column:
    s = F.regexp_replace(_narrow(col), N.MOBILE_STRIP, "")
    return F.when(
        s.rlike(N.MOBILE_CN), F.concat(F.lit("+86"), F.regexp_extract(s, N.MOBILE_CN, 1))
    ).when(s.rlike(N.MOBILE_INTL), F.concat(F.lit("+"), F.regexp_extract(s, N.MOBILE_INTL, 1)))


def email_normalised(col: Column) -> Column:
    s = F.lower(F.regexp_replace(col, N.EMAIL_TRIM, ""))
    return F.when(s.rlike(N.EMAIL_SHAPE), s)


def resident_id_normalised(col: Column) -> Column:
    s = F.upper(F.regexp_replace(_narrow(col), N.RESIDENT_ID_STRIP, ""))
    weighted = sum(
        (F.ascii(F.substring(s, i + 1, 1)) - 48) * w for i, w in enumerate(N.RESIDENT_ID_WEIGHTS)
    )
    check = F.substring(F.lit(N.RESIDENT_ID_CHECK), (weighted % 11 + 1).cast("int"), 1)
    return F.when(s.rlike(N.RESIDENT_ID_SHAPE) & (F.substring(s, 18, 1) == check), s)


def birth_date_from_resident_id(col: Column) -> Column:
    return F.try_to_date(F.substring(resident_id_normalised(col), 7, 8), "yyyyMMdd")


def age_band(birth_date: Column, as_of: Column) -> Column:
    """Age band at ``as_of`` (a date column), "unknown" when the birth date is missing."""
    later_in_year = F.month(as_of) * 100 + F.dayofmonth(as_of) < (
        F.month(birth_date) * 100 + F.dayofmonth(birth_date)
    )
    age = F.year(as_of) - F.year(birth_date) - F.when(later_in_year, 1).otherwise(0)
    band = F.lit(N.UNKNOWN)
    for low, high, label in reversed(N.AGE_BANDS):
        band = F.when(age.between(low, high), label).otherwise(band)
    return F.when(birth_date.isNull(), N.UNKNOWN).otherwise(band)


def _lookup(table: dict[str, str], key: Column) -> Column:
    mapping = F.create_map(*chain.from_iterable((F.lit(k), F.lit(v)) for k, v in table.items()))
    return F.coalesce(F.try_element_at(mapping, key), F.lit(N.UNKNOWN))


def city_key(city: Column) -> Column:
    return F.lower(F.regexp_replace(city, N.CITY_TRIM, ""))


def province(city: Column) -> Column:
    return _lookup({c: p for c, (p, _) in N.CITIES.items()}, city_key(city))


def city_tier(city: Column) -> Column:
    return _lookup({c: t for c, (_, t) in N.CITIES.items()}, city_key(city))


def redact(text: Column) -> Column:
    for pattern, token in N.REDACTIONS:
        text = F.regexp_replace(text, pattern, token)
    return text


def name_keys(full_name: Column) -> Column:
    """:func:`.normalise.name_keys` as an array column."""
    han = F.regexp_extract_all(full_name, F.lit(N.HAN_RUN), 0)
    words = F.regexp_extract_all(full_name, F.lit(N.LATIN_WORD), 0)
    low, high = N.HAN_NAME_CHARS
    keys = F.array_distinct(
        F.concat(
            han,
            F.array(F.array_join(han, "")),
            F.array(F.lower(F.array_join(words, "")), F.lower(F.array_join(F.reverse(words), ""))),
        )
    )
    return F.filter(
        keys,
        lambda k: (
            (k.rlike(f"^{N.HAN_RUN}$") & F.length(k).between(low, high))
            | (k.rlike("^[a-z]+$") & (F.length(k) >= N.MIN_LATIN_NAME_CHARS))
        ),
    )


def name_candidates(text: Column) -> Column:
    """:func:`.normalise.name_candidates` as an array of (key, pattern) structs."""
    low, high = N.HAN_NAME_CHARS
    runs = F.regexp_extract_all(text, F.lit(N.HAN_RUN), 0)

    def substrings(run: Column) -> Column:
        lengths = F.sequence(F.lit(low), F.least(F.length(run), F.lit(high)))
        return F.flatten(
            F.transform(
                lengths,
                lambda n: F.transform(
                    F.sequence(F.lit(1), F.length(run) - n + 1),
                    lambda i: F.substring(run, i, n),
                ),
            )
        )

    han = F.transform(F.flatten(F.transform(runs, substrings)), lambda s: _span(s, s))
    words = F.regexp_extract_all(text, F.lit(N.LATIN_WORD), 0)
    latin = []
    for n in range(1, N.MAX_LATIN_NAME_WORDS + 1):
        latin.append(
            F.transform(
                _windows(words, n),
                lambda w: _span(
                    F.lower(F.array_join(w, "")),
                    F.concat(
                        F.lit("(?i)(?<![A-Za-z])"),
                        F.array_join(w, N.LATIN_GAP),
                        F.lit("(?![A-Za-z])"),
                    ),
                ),
            )
        )
    return F.concat(han, *latin)


def _windows(words: Column, n: int) -> Column:
    """Every run of ``n`` consecutive elements of ``words``."""
    last = F.size(words) - n + 1
    starts = F.filter(F.sequence(F.lit(1), F.size(words)), lambda i: (i >= 1) & (i <= last))
    return F.transform(starts, lambda i: F.slice(words, i, n))  # sequence(1, 0) is [1, 0]


def _span(key: Column, pattern: Column) -> Column:
    return F.struct(key.alias("key"), pattern.alias("pattern"))


def redact_names(df: DataFrame, column: str, keys: DataFrame) -> DataFrame:
    """``df`` with the names in ``keys`` (one ``key`` column) replaced in ``column``.

    Rows whose ``column`` is empty pass through; the others are matched by a join of their
    candidate spans with the keys (no collect: the keys may be millions).
    """
    plain = df.where(F.col(column).isNull() | (F.col(column) == ""))
    text = df.where(F.col(column) != "").withColumn("_row", F.monotonically_increasing_id())
    spans = text.select("*", F.explode_outer(name_candidates(F.col(column))).alias("_span"))
    found = spans.join(
        keys.select(F.col("key").alias("_key"), F.lit(True).alias("_hit")).distinct(),
        F.col("_span.key") == F.col("_key"),
        "left",
    )
    pattern = F.col("_span.pattern")
    hit = F.when(F.col("_hit"), F.struct((-F.length(pattern)).alias("n"), pattern.alias("p")))
    grouped = found.groupBy("_row").agg(
        *[F.first(c).alias(c) for c in df.columns],
        F.sort_array(F.collect_set(hit)).alias("_patterns"),
    )
    redacted = F.aggregate(
        "_patterns",
        F.col(column),
        lambda acc, p: F.regexp_replace(acc, p["p"], F.lit(N.NAME_TOKEN)),
    )
    return plain.unionByName(grouped.withColumn(column, redacted).select(*df.columns))


def hmac_sha256_hex(value: Column, key: PseudonymKey) -> Column:
    """RFC 2104 HMAC-SHA256 of the UTF-8 bytes of ``value``, as 64 lower-case hex characters."""
    ipad, opad = key.pads()
    inner = F.unhex(F.sha2(F.concat(F.lit(ipad), value.cast("binary")), 256))
    return F.sha2(F.concat(F.lit(opad), inner), 256)


def identifier(mobile: Column, email: Column, source: Column, source_user_id: Column) -> Column:
    """The key material of :mod:`.pseudonym`'s rule: mobile, else e-mail, else the source user."""
    fallback = F.concat_ws(":", F.lit(FALLBACK_PREFIX), source, source_user_id)
    return F.coalesce(mobile_e164(mobile), email_normalised(email), fallback)


def identifier_kind(mobile: Column, email: Column) -> Column:
    return (
        F.when(mobile_e164(mobile).isNotNull(), "mobile")
        .when(email_normalised(email).isNotNull(), "email")
        .otherwise(FALLBACK_PREFIX)
    )


def local_date(ts: Column) -> Column:
    """The platform-timezone date of a timestamp (session time zone UTC)."""
    return F.to_date(F.from_utc_timestamp(ts, PLATFORM_TIMEZONE))


def clean_dataset(
    df: DataFrame,
    name: str,
    keys: DataFrame,
    as_of: datetime.date,
    names: DataFrame | None = None,
) -> DataFrame:
    """One dataset's validated rows (with ``source`` and ``dt``) as clean-zone rows.

    ``keys``: (source, source_user_id, person_key, key_version) covering every user id in ``df``.
    ``names``: the name keys (one ``key`` column) redacted from free text besides the shapes.
    Free-form columns get the shape redaction. Columns not in the contract (drifted extras) are
    dropped: they were never reviewed for PII.
    """
    dataset = contracts.dataset(name)
    pii = dataset.pii_columns()
    if "identity" in pii.values():
        id_col = next(c for c, kind in pii.items() if kind == "identity")
        keys = keys.select(
            "source", F.col("source_user_id").alias(id_col), "person_key", "key_version"
        )
        df = df.join(keys, ["source", id_col], "left")
    for col, kind in pii.items():
        if kind == "redact":
            if names is not None:
                df = redact_names(df, col, names)
            df = df.withColumn(col, redact(F.col(col)))
    for col in dataset.free_form_columns():
        df = df.withColumn(col, redact(F.col(col)))
    if name == "users":
        # A column of its own: the age band reads the birth date a dozen times, and inlined,
        # each read repeats the resident id checksum (a plan of 140k characters that codegen
        # could not compile).
        birth = F.coalesce(F.col("birth_date"), birth_date_from_resident_id(F.col("id_card_no")))
        df = df.withColumn("_birth_date", birth).select(
            "*",
            age_band(F.col("_birth_date"), F.lit(as_of)).alias("age_band"),
            province(F.col("city")).alias("province"),
            city_tier(F.col("city")).alias("city_tier"),
        )
    return df.select(*[c.name for c in contracts.clean_columns(name)])
