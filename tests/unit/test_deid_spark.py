"""The Spark transforms against the Python reference, and one two-night de-identification run."""

import datetime
import hashlib
import hmac

import pytest
from pyspark.sql import functions as F

from alliance_pipeline.privacy import deid
from alliance_pipeline.privacy import normalise as N
from alliance_pipeline.privacy.identity import deidentify_night
from alliance_pipeline.privacy.pseudonym import PseudonymKey, person_key
from tests.unit.test_normalise import EMAILS, FREE_TEXT, MOBILES, NAMED_TEXT, NAMES

pytestmark = [pytest.mark.unit, pytest.mark.spark]

KEY = PseudonymKey(b"test-key-not-for-production-0123", "test-1")
UTC = datetime.UTC


def test_spark_functions_equal_python_reference(spark):
    long_key = PseudonymKey(bytes(range(100)), "long")  # longer than a block: hashed first
    values = ["+8613812345678", "li.wei@example.com", "", "名字 ünïcode", "x" * 300]
    resident_ids = ["11010519491231002x", "110105 19491231 002X", "110105194912310021", None]
    texts = [t for t, _ in FREE_TEXT]
    cities = ["北京市", " 杭州 ", "Shenzhen", "Atlantis", None]
    n = max(len(values), len(MOBILES), len(EMAILS), len(resident_ids), len(texts), len(cities))

    def pad(xs):
        return [*xs, *[None] * (n - len(xs))]

    rows = list(
        zip(
            pad(values),
            pad([m for m, _ in MOBILES]),
            pad([e for e, _ in EMAILS]),
            pad(resident_ids),
            pad(texts),
            pad(cities),
            strict=True,
        )
    )
    df = spark.createDataFrame(rows, "v string, m string, e string, r string, t string, c string")
    out = df.select(
        deid.hmac_sha256_hex(F.col("v"), KEY).alias("h"),
        deid.hmac_sha256_hex(F.col("v"), long_key).alias("h_long"),
        deid.mobile_e164(F.col("m")).alias("m"),
        deid.email_normalised(F.col("e")).alias("e"),
        deid.resident_id_normalised(F.col("r")).alias("r"),
        deid.redact(F.col("t")).alias("t"),
        deid.province(F.col("c")).alias("p"),
        deid.city_tier(F.col("c")).alias("tier"),
    ).collect()
    for row, (v, m, e, r, t, c) in zip(out, rows, strict=True):
        if v is not None:
            assert row.h == hmac.new(KEY.secret, v.encode(), hashlib.sha256).hexdigest()
            assert row.h_long == hmac.new(long_key.secret, v.encode(), hashlib.sha256).hexdigest()
        assert row.m == N.normalise_mobile(m), m
        assert row.e == N.normalise_email(e), e
        assert row.r == N.normalise_resident_id(r), r
        assert row.t == N.redact_text(t), t
        assert (row.p, row.tier) == N.city_generalised(c)
    assert [r.t for r in out[: len(FREE_TEXT)]] == [expected for _, expected in FREE_TEXT]


def test_spark_name_redaction_equals_python_reference(spark):
    names = spark.createDataFrame([(n,) for n in NAMES], "full_name string")
    keys = names.select(F.explode(deid.name_keys(F.col("full_name"))).alias("key"))
    texts = [t for t, _ in NAMED_TEXT] + [FREE_TEXT[0][0], None, ""]
    df = spark.createDataFrame(list(enumerate(texts)), "i int, comment string")
    candidates = df.select(deid.name_candidates(F.col("comment")).alias("c")).collect()
    for row, text in zip(candidates, texts, strict=True):
        assert [tuple(c) for c in row.c or []] == N.name_candidates(text), text
    out = deid.redact_names(df, "comment", keys).orderBy("i").collect()
    py_keys = set().union(*map(N.name_keys, NAMES))
    assert [r.comment for r in out] == [N.redact_names(t, py_keys) for t in texts]
    assert len(out) == len(texts)


USERS = (
    "source string, source_user_id string, full_name string, mobile string, email string, "
    "id_card_no string, birth_date date, gender string, city string, registered_at timestamp, "
    "membership_tier string, marketing_consent boolean, updated_at timestamp, dt date"
)
EVENTS = (
    "source string, event_id string, source_user_id string, content_id string, "
    "event_type string, event_at timestamp, duration_s bigint, progress_pct double, "
    "campaign_id string, device string, comment string, dt date"
)


def _ts(day, hour=12):
    return datetime.datetime(2026, 11, day, hour, tzinfo=UTC)


def test_two_nights_keys_overlap_consent_and_no_pii(spark):
    night1, night2 = datetime.date(2026, 11, 22), datetime.date(2026, 11, 23)
    users1 = spark.createDataFrame(
        [
            # one person at two sources, mobile written differently; consent given at moonbay
            ("platform", "p1", "李伟", "138 1234 5678", None, "11010519491231002X", None,
             "M", "北京市", _ts(1), "gold", False, _ts(20), night1),
            ("moonbay", "m9", "Li Wei", "+86-138-1234-5678", "LI@X.COM", None,
             datetime.date(1990, 3, 7), "M", "Hangzhou", _ts(5), "silver", True, _ts(21), night1),
            # e-mail only
            ("platform", "p2", "王芳", None, " Fang@Example.com ", None, None,
             "F", "西宁", _ts(2), "free", True, _ts(20), night1),
        ],
        USERS,
    )  # fmt: skip
    events1 = spark.createDataFrame(
        [
            ("platform", "e1", "p1", "c1", "view", _ts(22), 60, 10.0, None, "ios",
             "my phone 138-1234-5678, mail li@x.com", night1),
            ("moonbay", "e2", "m7", "c1", "view", _ts(22), 5, 1.0, None, "web", None, night1),
            # m6's events arrive a night before its user record
            ("moonbay", "e4", "m6", "c1", "view", _ts(22), 5, 1.0, None, "web", None, night1),
        ],
        EVENTS,
    )  # fmt: skip
    first = deidentify_night({"users": users1, "events": events1}, None, KEY, night1)
    map1 = first.identity_map.cache()

    # night 2: platform withdraws consent later than moonbay's statement; a new user on moonbay
    users2 = spark.createDataFrame(
        [
            ("platform", "p1", "李伟", "13812345678", None, None, None, "M", "北京",
             _ts(1), "gold", False, _ts(23), night2),
            ("moonbay", "m8", "Zhao", None, None, None, None, "U", None,
             _ts(23), "free", True, _ts(23), night2),
            ("moonbay", "m6", "李伟", "138-1234-5678", None, None, None, "M", None,
             _ts(2), "free", True, _ts(22), night2),
        ],
        USERS,
    )  # fmt: skip
    events2 = spark.createDataFrame(
        [("moonbay", "e3", "m9", "c2", "play", _ts(23), 30, 50.0, "cmp1", "web", "好课", night2)],
        EVENTS,
    )
    second = deidentify_night({"users": users2, "events": events2}, map1, KEY, night2)

    li = person_key(KEY, "+8613812345678")
    fang = person_key(KEY, "fang@example.com")
    m7 = person_key(KEY, "source_user:moonbay:m7")
    m8 = person_key(KEY, "source_user:moonbay:m8")
    keys1 = {(r.source, r.source_user_id): r.person_key for r in map1.collect()}
    assert keys1 == {("platform", "p1"): li, ("moonbay", "m9"): li, ("platform", "p2"): fang,
                     ("moonbay", "m7"): m7, ("moonbay", "m6"): person_key(KEY, "source_user:moonbay:m6")}  # fmt: skip
    map2 = {(r.source, r.source_user_id): r for r in second.identity_map.collect()}
    assert map2["moonbay", "m6"].person_key == li  # its user record linked it
    assert map2["moonbay", "m6"].first_seen_dt == night1

    clean_events = second.clean["events"].collect()
    assert [(r.event_id, r.person_key, r.key_version) for r in clean_events] == [
        ("e3", li, "test-1")
    ]  # a user delivered on night 1 joins events of night 2
    redacted = first.clean["events"].where("event_id = 'e1'").first().comment
    assert redacted == "my phone [mobile], mail [email]"

    clean_users = first.clean["users"].orderBy("source").collect()
    assert set(first.clean["users"].columns).isdisjoint(
        {"full_name", "mobile", "email", "id_card_no", "birth_date", "city", "source_user_id"}
    )
    assert [(u.age_band, u.province, u.city_tier) for u in clean_users] == [
        ("35-44", "浙江", "new1"),  # moonbay: birth_date 1990-03-07
        ("65+", "北京", "1"),  # from the resident id
        ("unknown", "青海", "4"),
    ]

    persons = {r.person_key: r for r in second.persons.collect()}
    assert set(persons) == {li, fang, m7, m8}
    assert persons[li].sources == "moonbay;platform"
    assert persons[li].home_source == "platform"  # registered first
    assert persons[li].marketing_consent is False  # platform's later statement wins
    assert persons[li].membership_tier == "gold"
    assert persons[li].first_seen == datetime.date(2026, 11, 1)
    assert persons[m7].marketing_consent is False  # never delivered as a user
    assert persons[m8].sources == "moonbay" and persons[m8].age_band == "unknown"
    assert {r.key_version for r in second.identity_map.collect()} == {"test-1"}


def test_consent_declined_at_any_source_wins(spark):
    from alliance_pipeline.privacy.identity import MAP_SCHEMA, persons

    def row(source, uid, pk, consent, day):
        updated = None if consent is None else _ts(day)
        return (source, uid, "mobile", "x", pk, "test-1", datetime.date(2026, 11, 1),
                updated, updated, "free", consent, "U", None, "unknown", "unknown", None)  # fmt: skip

    identity_map = spark.createDataFrame(
        [
            # declined at moonbay, consented later at platform: still no
            row("moonbay", "m1", "a", False, 20), row("platform", "p1", "a", True, 23),
            # consented at both
            row("moonbay", "m2", "b", True, 20), row("platform", "p2", "b", True, 21),
            # consented at one source, the other known only through activity
            row("moonbay", "m3", "c", True, 20), row("platform", "p3", "c", None, 0),
            # activity only: no statement at all
            row("platform", "p4", "d", None, 0),
        ],
        MAP_SCHEMA,
    )  # fmt: skip
    got = {
        r.person_key: r.marketing_consent for r in persons(identity_map, _ts(23).date()).collect()
    }
    assert got == {"a": False, "b": True, "c": True, "d": False}


def test_key_literals_redacted_from_plans(spark):
    df = spark.createDataFrame([("a",)], "v string")
    df = df.select(deid.hmac_sha256_hex(F.col("v"), KEY).alias("h"))
    explain = spark._jvm.org.apache.spark.sql.api.python.PythonSQLUtils.explainString(
        df._jdf.queryExecution(), "extended"
    )
    assert all(pad.hex().upper() not in explain.upper() for pad in KEY.pads())
    assert "redacted" in explain.lower()
