"""Personal data written the way people write it, through jobs/deidentify.py: nothing of it in
the clean zone or the person dimension (scanned with the PII scanner), the text around it kept."""

import pyarrow.parquet as pq
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.privacy.pii_scan import Needles, scan_tree
from alliance_pipeline.privacy.pseudonym import KEY_ENV, VERSION_ENV
from tests.unit._validated_zone import (
    EVENTS,
    ORDERS,
    USERS,
    event,
    load_job,
    order,
    user,
    write_validated,
)

pytestmark = [pytest.mark.unit, pytest.mark.spark]

DT = "2026-11-23"
USER_ROWS = {
    "platform": [
        user("p1", "李伟", "13812345678", None, "110105491231002", "gold", True, 23),
        user("p2", "欧阳娜娜", "13900001111", None, None, "free", True, 23),
    ],
    "moonbay": [user("m1", "Wang Fang", "13700002222", "fang@example.com", None, "free", True, 23)],
}
# (comment, what must remain of it): every way of writing personal data that reached the clean zone
COMMENTS = [
    (
        "call 138 -- 1234 -- 5678 thanks",
        "call [mobile] thanks",
    ),  # several characters between groups
    ("手机138—1234—5678。", "手机[mobile]。"),  # em dash
    ("tel 138\u00a01234\u00a05678", "tel [mobile]"),  # no-break space
    ("号码 139/0000/1111", "号码 [mobile]"),  # slash
    ("老身份证110105491231002号", "老身份证[resident-id]号"),  # 15-digit resident id
    ("李伟老师讲得好", "[name]老师讲得好"),  # a person of the users delivery, Chinese
    ("ask Wang   Fang or fang wang", "ask [name] or [name]"),  # pinyin, either order
    ("我是欧阳娜娜", "我是[name]"),
    ("QQ号：987654321 加我", "QQ号：[qq] 加我"),
    ("微信: li_wei_88 谢谢", "微信: [wechat] 谢谢"),
    ("退款到卡号 6222 0212 3456 7890 123", "退款到卡号 [bank-card]"),
    ("寄到杭州市西湖区文三路100号3栋2单元501室，谢谢", "[address]，谢谢"),
    ("great course, 5 stars", "great course, 5 stars"),
]


def _needles() -> Needles:
    needles = Needles()
    for rows in USER_ROWS.values():
        for u in rows:
            for column, kind in (("full_name", "full_name"), ("mobile", "mobile"),
                                 ("email", "email"), ("id_card_no", "resident_id")):  # fmt: skip
                needles.add(kind, u[column])
    for text, _ in COMMENTS:
        needles.add_free_text(text)
    return needles


def test_every_form_of_personal_data_redacted_in_the_clean_zone(spark, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "job-test-key-0123456789abcdef")
    monkeypatch.setenv(VERSION_ENV, "dev-test")
    root = tmp_path / "lake"
    for source, rows in USER_ROWS.items():
        write_validated(root, "users", DT, source, rows, USERS)
    comments = [event(f"e{i}", "p1", 23, text) for i, (text, _) in enumerate(COMMENTS)]
    write_validated(root, "events", DT, "platform", comments, EVENTS)
    # a mobile delivered in a column meant for something else
    orders = [
        order("o1", "m1", 23) | {"referral_code": "138—1234—5678", "campaign_id": "R13900001111"}
    ]
    write_validated(root, "orders", DT, "moonbay", orders, ORDERS)

    assert load_job().main(["--dt", DT, "--lake-root", str(root)]) == 0

    needles = _needles()
    looked_for = {k: n for k, n in needles.counts().items() if k != "birth_date"}
    assert all(looked_for.values()), looked_for  # the scan looks for every kind delivered
    findings = scan_tree(needles, root / "clean", root / "curated")
    assert not findings, "\n".join(map(str, findings))

    clean = paths.partition(paths.clean("events"), root, dt=DT)
    got = {r["event_id"]: r["comment"] for r in pq.read_table(clean).to_pylist()}
    assert [got[f"e{i}"] for i in range(len(COMMENTS))] == [kept for _, kept in COMMENTS]
    clean_orders = pq.read_table(paths.partition(paths.clean("orders"), root, dt=DT)).to_pylist()
    assert [(o["referral_code"], o["campaign_id"]) for o in clean_orders] == [
        ("[mobile]", "R[mobile]")
    ]
