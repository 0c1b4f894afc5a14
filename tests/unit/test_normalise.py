"""Normalisation table tests for the Python reference (the Spark versions are checked against it)."""

import datetime

import pytest

from alliance_pipeline.privacy import normalise as N
from alliance_pipeline.privacy.pseudonym import (
    PseudonymKey,
    PseudonymKeyError,
    person_key,
    pseudonym_key_from_env,
)

pytestmark = pytest.mark.unit

E164 = "+8613812345678"
MOBILES = [
    ("13812345678", E164),
    ("138 1234 5678", E164),
    ("138-1234-5678", E164),
    ("138.1234.5678", E164),
    ("(138) 1234 5678", E164),
    ("+86 138 1234 5678", E164),
    ("+86-138-1234-5678", E164),
    ("+86(138)12345678", E164),
    ("86 13812345678", E164),
    ("8613812345678", E164),
    ("0086 138 1234 5678", E164),
    ("008613812345678", E164),
    ("１３８１２３４５６７８", E164),
    ("＋８６ １３８ １２３４ ５６７８", E164),
    ("１３８－１２３４－５６７８", E164),
    ("  13812345678\t", E164),
    ("+852 9123 4567", "+85291234567"),
    ("00852-9123-4567", "+85291234567"),
    ("1381234567", None),  # 10 digits
    ("23812345678", None),  # not a CN mobile, no country code
    ("+86 1381234567", None),
    ("not a number", None),
    ("", None),
    (None, None),
]
EMAILS = [
    ("li.wei@example.com", "li.wei@example.com"),
    ("Li.Wei@Example.COM", "li.wei@example.com"),
    ("  li.wei@example.com  ", "li.wei@example.com"),
    ("\tLI.WEI@EXAMPLE.COM\n", "li.wei@example.com"),
    ("\u3000li.wei@example.com\u3000", "li.wei@example.com"),
    ("13812345678@qq.com", "13812345678@qq.com"),
    ("a+tag@sub.example.cn", "a+tag@sub.example.cn"),
    ("no-at-sign.example.com", None),
    ("two@@example.com", None),
    ("nodot@example", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), MOBILES)
def test_mobile_to_e164(raw, expected):
    assert N.normalise_mobile(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), EMAILS)
def test_email_trimmed_lowercased(raw, expected):
    assert N.normalise_email(raw) == expected


def _resident_id(first17: str) -> str:
    return first17 + N.resident_id_check_char(first17)


def test_resident_id_uppercased_and_check_digit_enforced():
    assert N.resident_id_check_char("11010519491231002") == "X"  # the GB 11643 example
    assert N.normalise_resident_id("11010519491231002x") == "11010519491231002X"
    assert N.normalise_resident_id("110105 19491231 002X") == "11010519491231002X"
    assert N.normalise_resident_id("110105194912310021") is None  # wrong check digit
    assert N.normalise_resident_id("1101051949123100") is None


@pytest.mark.parametrize(
    ("birth", "resident_id", "band"),
    [
        (datetime.date(2000, 11, 23), None, "25-34"),  # 26 on the day
        (datetime.date(2000, 11, 24), None, "25-34"),  # 25, birthday tomorrow
        (datetime.date(2001, 11, 24), None, "18-24"),
        (datetime.date(2010, 1, 1), None, "under 18"),
        (datetime.date(1950, 6, 1), None, "65+"),
        (None, "11010519491231002X", "65+"),
        (None, _resident_id("44030419900307123"), "35-44"),
        (None, _resident_id("44030420081124123"), "under 18"),  # 17, birthday tomorrow
        (None, "440304199003071230", "unknown"),  # bad check digit
        (None, None, "unknown"),
        (datetime.date(1990, 3, 7), "11010519491231002X", "35-44"),  # birth_date wins
    ],
)
def test_age_band(birth, resident_id, band):
    assert N.age_band(birth, datetime.date(2026, 11, 23), resident_id) == band


@pytest.mark.parametrize(
    ("city", "expected"),
    [
        ("北京市", ("北京", "1")),
        (" 杭州 ", ("浙江", "new1")),
        ("Shenzhen", ("广东", "1")),
        ("西宁市\u3000", ("青海", "4")),
        ("香港", ("香港", "unknown")),
        ("Atlantis", ("unknown", "unknown")),
        (None, ("unknown", "unknown")),
    ],
)
def test_city_generalised(city, expected):
    assert N.city_generalised(city) == expected


FREE_TEXT = [
    ("call me on 13812345678 please", "call me on [mobile] please"),
    ("手机:138 1234 5678。", "手机:[mobile]。"),
    ("tel +86-138-1234-5678!", "tel [mobile]!"),
    ("0086 (138) 1234.5678", "[mobile]"),
    ("号码１３８１２３４５６７８谢谢", "号码[mobile]谢谢"),
    ("mail Li.Wei@Example.com now", "mail [email] now"),
    ("qq 13812345678@qq.com", "qq [email]"),
    ("id 11010519491231002x ok", "id [resident-id] ok"),
    ("身份证110105 19491231 002X", "身份证[resident-id]"),
    ("order 2026112312345678901234 is late", "order 2026112312345678901234 is late"),
    ("great course, 5 stars", "great course, 5 stars"),
    ("call 138 -- 1234 -- 5678 ok", "call [mobile] ok"),
    ("手机138—1234—5678。", "手机[mobile]。"),
    ("tel 138\u00a01234\u00a05678", "tel [mobile]"),
    ("138/1234/5678", "[mobile]"),
    ("旧身份证110105491231002号", "旧身份证[resident-id]号"),
    ("QQ号：123456789 加我", "QQ号：[qq] 加我"),
    ("微信: li_wei_88 谢谢", "微信: [wechat] 谢谢"),
    ("wx:liwei2020", "wx:[wechat]"),
    ("卡号 6222 0212 3456 7890 123", "卡号 [bank-card]"),
    ("我住在杭州市西湖区文三路100号3栋2单元501室，欢迎", "[address]，欢迎"),
    ("住阳光花园3栋2单元", "[address]"),
    ("No. 88 Wensan Road", "[address]"),
    ("内容很实用，打卡第7天", "内容很实用，打卡第7天"),
]


@pytest.mark.parametrize(("text", "expected"), FREE_TEXT)
def test_redact_text(text, expected):
    assert N.redact_text(text) == expected


NAMES = ["李伟", "Wang Fang", "欧阳 娜娜", "Al", None]
NAMED_TEXT = [
    ("李伟老师讲得好", "[name]老师讲得好"),
    ("ask Wang   Fang or fang wang, WANGFANG!", "ask [name] or [name], [name]!"),
    ("我是欧阳娜娜", "我是[name]"),
    ("wangfangs and Al", "wangfangs and Al"),  # not a whole name; too short to search
]


def test_name_keys_and_redaction():
    keys = set().union(*map(N.name_keys, NAMES))
    assert keys == {"李伟", "wangfang", "fangwang", "欧阳", "娜娜", "欧阳娜娜"}
    assert [N.redact_names(t, keys) for t, _ in NAMED_TEXT] == [e for _, e in NAMED_TEXT]


def test_person_key_is_keyed_hmac_and_key_never_shown():
    key = PseudonymKey(b"k" * 32, "v1")
    other = PseudonymKey(b"j" * 32, "v2")
    assert person_key(key, E164) != person_key(other, E164)
    assert len(person_key(key, E164)) == 64
    assert "kkkk" not in repr(key)
    with pytest.raises(PseudonymKeyError) as err:
        PseudonymKey(b"short-secret", "v1")
    assert "short-secret" not in str(err.value)
    env = {"ALLIANCE_PSEUDONYM_KEY": "x" * 20, "ALLIANCE_PSEUDONYM_KEY_VERSION": "dev-1"}
    assert pseudonym_key_from_env(env) == PseudonymKey(b"x" * 20, "dev-1")
    with pytest.raises(PseudonymKeyError):
        pseudonym_key_from_env({})
