"""Normalisation of identifiers and generalisation of quasi-identifiers: the Python reference.

The Spark transforms in :mod:`alliance_pipeline.privacy.deid` apply the same rules with built-in
functions and the *same pattern strings* defined here (each is valid in both Python's ``re`` and
Java's ``java.util.regex``), so the two implementations cannot drift; the unit tests check that
they agree.

Rules
    mobile       full-width digits and signs made narrow; spaces, tabs, dashes, dots and
                 parentheses removed; ``+86``/``86``/``0086`` prefix or none, then a CN mobile
                 ``1`` + 10 digits -> ``+861XXXXXXXXXX``; another country written ``+CC...`` or
                 ``00CC...`` (7-15 digits, CC not 86) -> ``+CC...``; anything else -> None.
    e-mail       whitespace trimmed, lowercased; needs ``x@y.z`` shape, else None.
    resident id  spaces removed, uppercased; 18 characters with a valid ISO 7064 MOD 11-2 check
                 digit, else None.
    age band     age in whole years at the partition date, from birth_date or else from the
                 birth date inside the resident id; bands of :data:`AGE_BANDS`; else "unknown".
    city         trimmed, lowercased, a trailing 市 removed, looked up in :data:`CITIES`
                 (Chinese and pinyin names) -> province and city tier; else "unknown".
"""

from __future__ import annotations

import datetime
import re

# Full-width forms typed by Chinese input methods, and their ASCII equivalents (same length).
WIDE = "０１２３４５６７８９＋（）－．＠\u3000"
NARROW = "0123456789+()-.@ "
_WIDE_TO_NARROW = str.maketrans(WIDE, NARROW)

MOBILE_STRIP = r"[ \t\r\n()\-.]"
MOBILE_CN = r"^(?:(?:\+|00)?86)?(1[0-9]{10})$"
MOBILE_INTL = r"^(?:\+|00)((?!86)[1-9][0-9]{6,14})$"

EMAIL_TRIM = r"^[ \t\r\n\u3000]+|[ \t\r\n\u3000]+$"
EMAIL_SHAPE = r"^[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+$"

RESIDENT_ID_STRIP = r"[ \t\r\n\u3000\-]"
RESIDENT_ID_SHAPE = r"^[1-9][0-9]{16}[0-9X]$"
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"  # check character for (weighted sum mod 11)

# Free-text redaction, applied in this order (e-mails first: QQ mail addresses hold mobiles).
_D = "[0-9０-９]"
_SEP = "[ \\-.()（）\u3000－．]"
_NOT_DIGIT_BEFORE = "(?<![0-9０-９])"
_NOT_DIGIT_AFTER = "(?![0-9０-９])"
EMAIL_IN_TEXT = r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9\-]+(?:[.．][A-Za-z0-9\-]+)*[.．][A-Za-z]{2,}"
RESIDENT_ID_IN_TEXT = f"{_NOT_DIGIT_BEFORE}{_D}{{6}}{_SEP}?{_D}{{8}}{_SEP}?{_D}{{3}}[0-9０-９XxＸｘ]{_NOT_DIGIT_AFTER}"
MOBILE_IN_TEXT = (
    f"{_NOT_DIGIT_BEFORE}(?:(?:[+＋]|00|００)?{_SEP}*(?:86|８６){_SEP}*)?"
    f"[1１](?:{_SEP}{{0,2}}{_D}){{10}}{_NOT_DIGIT_AFTER}"
)
REDACTIONS = (
    (EMAIL_IN_TEXT, "[email]"),
    (RESIDENT_ID_IN_TEXT, "[resident-id]"),
    (MOBILE_IN_TEXT, "[mobile]"),
)

UNKNOWN = "unknown"
# (lowest age, highest age or None, label)
AGE_BANDS = (
    (0, 17, "under 18"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 120, "65+"),
)

# city -> (province, tier), provinces in Chinese. Tiers follow the common 1 / new1 / 2 / 3 / 4
# grading (as the generator's reference table); the special administrative regions have no tier.
# A city not listed generalises to "unknown".
_CITY_TABLE = (
    ("北京", "beijing", "北京", "1"),
    ("上海", "shanghai", "上海", "1"),
    ("广州", "guangzhou", "广东", "1"),
    ("深圳", "shenzhen", "广东", "1"),
    ("成都", "chengdu", "四川", "new1"),
    ("杭州", "hangzhou", "浙江", "new1"),
    ("重庆", "chongqing", "重庆", "new1"),
    ("武汉", "wuhan", "湖北", "new1"),
    ("西安", "xian", "陕西", "new1"),
    ("苏州", "suzhou", "江苏", "new1"),
    ("南京", "nanjing", "江苏", "new1"),
    ("天津", "tianjin", "天津", "new1"),
    ("长沙", "changsha", "湖南", "new1"),
    ("郑州", "zhengzhou", "河南", "new1"),
    ("东莞", "dongguan", "广东", "new1"),
    ("青岛", "qingdao", "山东", "new1"),
    ("沈阳", "shenyang", "辽宁", "new1"),
    ("宁波", "ningbo", "浙江", "new1"),
    ("昆明", "kunming", "云南", "new1"),
    ("佛山", "foshan", "广东", "new1"),
    ("合肥", "hefei", "安徽", "2"),
    ("福州", "fuzhou", "福建", "2"),
    ("厦门", "xiamen", "福建", "2"),
    ("济南", "jinan", "山东", "2"),
    ("大连", "dalian", "辽宁", "2"),
    ("哈尔滨", "harbin", "黑龙江", "2"),
    ("南宁", "nanning", "广西", "2"),
    ("贵阳", "guiyang", "贵州", "2"),
    ("石家庄", "shijiazhuang", "河北", "2"),
    ("南昌", "nanchang", "江西", "2"),
    ("太原", "taiyuan", "山西", "2"),
    ("无锡", "wuxi", "江苏", "2"),
    ("温州", "wenzhou", "浙江", "2"),
    ("珠海", "zhuhai", "广东", "2"),
    ("长春", "changchun", "吉林", "2"),
    ("兰州", "lanzhou", "甘肃", "3"),
    ("海口", "haikou", "海南", "3"),
    ("洛阳", "luoyang", "河南", "3"),
    ("桂林", "guilin", "广西", "3"),
    ("绵阳", "mianyang", "四川", "3"),
    ("赣州", "ganzhou", "江西", "3"),
    ("扬州", "yangzhou", "江苏", "3"),
    ("呼和浩特", "hohhot", "内蒙古", "3"),
    ("乌鲁木齐", "urumqi", "新疆", "3"),
    ("曲靖", "qujing", "云南", "4"),
    ("天水", "tianshui", "甘肃", "4"),
    ("商丘", "shangqiu", "河南", "4"),
    ("湛江", "zhanjiang", "广东", "4"),
    ("西宁", "xining", "青海", "4"),
    ("拉萨", "lhasa", "西藏", "4"),
    ("银川", "yinchuan", "宁夏", "4"),
    ("香港", "hong kong", "香港", UNKNOWN),
    ("澳门", "macau", "澳门", UNKNOWN),
)
CITIES: dict[str, tuple[str, str]] = {
    name: (province, tier) for zh, pinyin, province, tier in _CITY_TABLE for name in (zh, pinyin)
}
CITY_TRIM = r"^[ \t\r\n\u3000]+|市?[ \t\r\n\u3000]*$"


def normalise_mobile(value: str | None) -> str | None:
    if value is None:
        return None
    s = re.sub(MOBILE_STRIP, "", str(value).translate(_WIDE_TO_NARROW))
    if m := re.search(MOBILE_CN, s):
        return "+86" + m.group(1)
    if m := re.search(MOBILE_INTL, s):
        return "+" + m.group(1)
    return None


def normalise_email(value: str | None) -> str | None:
    if value is None:
        return None
    s = re.sub(EMAIL_TRIM, "", str(value)).lower()
    return s if re.search(EMAIL_SHAPE, s) else None


def resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def normalise_resident_id(value: str | None) -> str | None:
    if value is None:
        return None
    s = re.sub(RESIDENT_ID_STRIP, "", str(value).translate(_WIDE_TO_NARROW)).upper()
    if not re.search(RESIDENT_ID_SHAPE, s) or resident_id_check_char(s[:17]) != s[17]:
        return None
    return s


def birth_date_from_resident_id(value: str | None) -> datetime.date | None:
    s = normalise_resident_id(value)
    if s is None:
        return None
    try:
        return datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None


def age_in_years(birth: datetime.date, as_of: datetime.date) -> int:
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


def age_band(
    birth: datetime.date | None, as_of: datetime.date, resident_id: str | None = None
) -> str:
    """Age band at ``as_of`` from the birth date, or else from the resident id."""
    birth = birth or birth_date_from_resident_id(resident_id)
    if birth is None:
        return UNKNOWN
    age = age_in_years(birth, as_of)
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), UNKNOWN)


def normalise_city(value: str | None) -> str | None:
    return None if value is None else re.sub(CITY_TRIM, "", str(value)).lower()


def city_generalised(value: str | None) -> tuple[str, str]:
    """(province, city tier) of a city, ("unknown", "unknown") when not in the table."""
    return CITIES.get(normalise_city(value) or "", (UNKNOWN, UNKNOWN))


def redact_text(value: str | None) -> str | None:
    """Free text with every mobile, e-mail and resident id replaced by a placeholder."""
    if value is None:
        return None
    for pattern, token in REDACTIONS:
        value = re.sub(pattern, token, value)
    return value
