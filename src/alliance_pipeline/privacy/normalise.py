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

MOBILE_STRIP = r"[ \t\r\n()\-./_\u00a0\u2007\u202f\u2010-\u2015\u2212]"
MOBILE_CN = r"^(?:(?:\+|00)?86)?(1[0-9]{10})$"
MOBILE_INTL = r"^(?:\+|00)((?!86)[1-9][0-9]{6,14})$"

EMAIL_TRIM = r"^[ \t\r\n\u3000]+|[ \t\r\n\u3000]+$"
EMAIL_SHAPE = r"^[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+$"

RESIDENT_ID_STRIP = r"[ \t\r\n\u3000\-]"
RESIDENT_ID_SHAPE = r"^[1-9][0-9]{16}[0-9X]$"
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"  # check character for (weighted sum mod 11)

# Free-text redaction, applied in this order (e-mails first: QQ mail addresses hold mobiles;
# longer digit runs before shorter ones, a mobile's country prefix before the old 15-digit id). A digit may be followed by up to 4 separators (spaces
# of any width, dashes of any length, dots, slashes, brackets, underscores) before the next one.
_D = "[0-9０-９]"
SEPARATOR = "[ \t\\-.()（）\u3000\u00a0\u2007\u202f\u2010-\u2015\u2212－．/／_＿]"
_NOT_DIGIT_BEFORE = "(?<![0-9０-９])"
_NOT_DIGIT_AFTER = "(?![0-9０-９])"


def _digits(first: str, more: str) -> str:
    """A digit matching ``first``, then ``more`` digits (a repeat count) with separators."""
    return f"{_NOT_DIGIT_BEFORE}{first}(?:{SEPARATOR}{{0,4}}{_D}){{{more}}}"


_KEYWORD_GAP = "[ \t:：\u3000号]{0,3}"
EMAIL_IN_TEXT = r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9\-]+(?:[.．][A-Za-z0-9\-]+)*[.．][A-Za-z]{2,}"
WECHAT_IN_TEXT = (
    "(?i:((?:微信号?|(?<![a-z])(?:wechat(?: ?id)?|weixin|vx|wx|v信))" + _KEYWORD_GAP + ")"
    "[a-z][-_a-z0-9]{5,19}(?![-_a-z0-9]))"
)
QQ_IN_TEXT = (
    "(?i:((?:(?<![a-z])qq|扣扣|企鹅)"
    + _KEYWORD_GAP
    + "))[1-9１-９]"
    + _D
    + "{4,11}"
    + _NOT_DIGIT_AFTER
)
# 17 digits and a check character (18-digit id), or the 15 digits of a first-generation id.
RESIDENT_ID_IN_TEXT = (
    _digits(_D, "16") + f"{SEPARATOR}{{0,4}}[XxＸｘ]|" + _digits(_D, "17") + (_NOT_DIGIT_AFTER)
)
RESIDENT_ID_15_IN_TEXT = _digits(_D, "14") + _NOT_DIGIT_AFTER
BANK_CARD_IN_TEXT = _digits(_D, "15,18") + _NOT_DIGIT_AFTER
MOBILE_IN_TEXT = (
    f"{_NOT_DIGIT_BEFORE}(?:(?:[+＋]|00|００)?{SEPARATOR}*(?:86|８６){SEPARATOR}*)?"
    f"[1１](?:{SEPARATOR}{{0,4}}{_D}){{10}}{_NOT_DIGIT_AFTER}"
)
_HAN_PLACE = "[\u3400-\u9fff]{1,12}"
_NUMBER = "[0-9０-９一二三四五六七八九十百零〇]+"
_UNIT = f"(?:{SEPARATOR}{{0,2}}[0-9０-９A-Za-z一二三四五六七八九十]+(?:号楼|栋|幢|座|单元|楼|层|室|号|户))*"
ADDRESS_IN_TEXT = (
    f"{_HAN_PLACE}(?:路|街|大道|道|巷|弄|胡同|里){SEPARATOR}{{0,2}}{_NUMBER}(?:号|弄|号院){_UNIT}"
    f"|{_HAN_PLACE}(?:小区|花园|公寓|大厦|家园|新村|苑){SEPARATOR}{{0,2}}{_NUMBER}(?:号楼|栋|幢|座|期|号){_UNIT}"
    "|(?i:(?<![a-z0-9])(?:no\\.? ?)?[0-9]{1,5},? (?:[a-z]+ ){1,3}"
    "(?:road|rd|street|st|avenue|ave|lane|ln|lu|jie|dadao)(?![a-z]))"
)
REDACTIONS = (
    (EMAIL_IN_TEXT, "[email]"),
    (WECHAT_IN_TEXT, "$1[wechat]"),
    (QQ_IN_TEXT, "$1[qq]"),
    (RESIDENT_ID_IN_TEXT, "[resident-id]"),
    (BANK_CARD_IN_TEXT, "[bank-card]"),
    (MOBILE_IN_TEXT, "[mobile]"),
    (RESIDENT_ID_15_IN_TEXT, "[resident-id]"),
    (ADDRESS_IN_TEXT, "[address]"),
)

# Names of the persons the users deliveries describe, found in free text: a Chinese name as a
# substring of a run of Chinese characters, a Latin (pinyin) name as 1-3 consecutive words
# whose letters, lowercased, spell the name in either order ("Li Wei", "wei li", "LiWei").
NAME_TOKEN = "[name]"
HAN_RUN = "[\u3400-\u9fff]{2,}"
LATIN_WORD = "[A-Za-z]+"
HAN_NAME_CHARS = (2, 6)
MIN_LATIN_NAME_CHARS = 4
MAX_LATIN_NAME_WORDS = 3
LATIN_GAP = "[^A-Za-z]*"

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
        value = re.sub(pattern, token.replace("$1", r"\1"), value)
    return value


def name_keys(full_name: str | None) -> set[str]:
    """What a delivered full name is searched by: its Chinese runs (and their concatenation),
    its Latin words joined and lowercased, in either order."""
    if not full_name:
        return set()
    han = re.findall(HAN_RUN, full_name)
    words = re.findall(LATIN_WORD, full_name)
    low, high = HAN_NAME_CHARS
    keys = {k for k in [*han, "".join(han)] if low <= len(k) <= high}
    latin = {"".join(words).lower(), "".join(reversed(words)).lower()}
    return keys | {k for k in latin if len(k) >= MIN_LATIN_NAME_CHARS}


def name_candidates(text: str | None) -> list[tuple[str, str]]:
    """(key, pattern) of every span of ``text`` that could be a name: Chinese substrings of
    allowed lengths, windows of consecutive Latin words (the pattern matches the span itself)."""
    if not text:
        return []
    out = []
    low, high = HAN_NAME_CHARS
    for run in re.findall(HAN_RUN, text):
        for n in range(low, min(len(run), high) + 1):
            out += [(run[i : i + n], run[i : i + n]) for i in range(len(run) - n + 1)]
    words = re.findall(LATIN_WORD, text)
    for n in range(1, MAX_LATIN_NAME_WORDS + 1):
        for i in range(len(words) - n + 1):
            window = words[i : i + n]
            out.append(("".join(window).lower(), latin_name_pattern(window)))
    return out


def latin_name_pattern(words: list[str]) -> str:
    return "(?i)(?<![A-Za-z])" + LATIN_GAP.join(words) + "(?![A-Za-z])"


def redact_names(text: str | None, keys: set[str]) -> str | None:
    """``text`` with every span whose key is in ``keys`` replaced (longest patterns first)."""
    if not text:
        return text
    patterns = {p for k, p in name_candidates(text) if k in keys}
    for pattern in sorted(patterns, key=lambda p: (-len(p), p)):
        text = re.sub(pattern, NAME_TOKEN, text)
    return text
