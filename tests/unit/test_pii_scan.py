"""The PII leak scanner: collection from landing files of every format, planted leaks, no false alarm."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliance_pipeline.generator import GeneratorConfig, run_to
from alliance_pipeline.privacy.pii_scan import (
    Finding,
    collect_pii,
    find_in_text,
    scan_tree,
    scan_warehouse,
)
from alliance_pipeline.warehouse import open_warehouse

pytestmark = pytest.mark.unit

DT = "2026-11-22"
USERS_HEADER = "source_user_id,full_name,mobile,email,id_card_no,birth_date,gender,city\n"
PERSON_VALUES = ["李伟", "13800138000", "li.wei@qq.com", "11010519491231002X", "1949-12-31",
                 "王芳", "13912345678", "张敏", "15012345678", "zhang_min@163.com", "陈静",
                 "18612345678"]  # fmt: skip


def _landing(root):
    moonbay = root / "partners/moonbay/users" / f"dt={DT}"
    moonbay.mkdir(parents=True)
    (moonbay / "part-00000.csv").write_bytes(
        (
            USERS_HEADER
            + "m1,李伟,+86 138 0013 8000, Li.Wei@QQ.com ,11010519491231002x,1949-12-31,M,北京\n"
            + "m2,王芳,１３９１２３４５６７８,,,,F,上海\n"
        ).encode("gbk")
    )
    (moonbay / "_manifest.json").write_text("{}")
    tidewave = root / "partners/tidewave/users" / f"dt={DT}"
    tidewave.mkdir(parents=True)
    record = {"source_user_id": "t1", "full_name": "张敏", "mobile": "0086 15012345678",
              "email": "zhang_min@163.com", "id_card_no": None, "birth_date": "1990-05-12"}  # fmt: skip
    (tidewave / "part-00000.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n")
    lumen = root / "partners/lumen/users" / f"dt={DT}"
    lumen.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "source_user_id": ["l1"],
                "full_name": ["陈静"],
                "mobile": ["1.38001E+10"],
                "email": [None],
                "birth_date": [None],
            }
        ),
        lumen / "part-00000.parquet",
    )
    events = root / "platform/events" / f"dt={DT}"
    events.mkdir(parents=True)
    (events / "part-00000.csv").write_text(
        "event_id,source_user_id,comment\ne1,p9,加我微信或打电话18612345678\ne2,p9,讲得很清楚\n"
    )
    return root


@pytest.fixture
def needles(tmp_path):
    return collect_pii(_landing(tmp_path / "landing"))


def test_collects_every_identifier_from_every_format(needles):
    assert needles.names == {"李伟", "王芳", "张敏", "陈静"}
    assert needles.mobiles == {"13800138000", "13912345678", "15012345678", "18612345678"}
    assert needles.emails == {"li.wei@qq.com", "zhang_min@163.com"}
    assert needles.resident_ids == {"11010519491231002X"}
    assert needles.birth_dates == {"1949-12-31", "1990-05-12"}
    assert needles.literal_mobiles() == {"1.38001E+10"}
    assert not [v for v in PERSON_VALUES if v in repr(needles)]


@pytest.mark.parametrize(
    "text",
    [
        "13800138000",
        "tel 138-0013-8000 now",
        "+86 138 0013 8000",
        "0086-138-0013-8000",
        "(+86)138.0013.8000",
        "８６１３８００１３８０００",
        "86 13800138000",
        "id=13800138000;",
        "x1.38001E+10",
    ],
)
def test_mobile_in_any_spelling(needles, text):
    assert find_in_text(text, needles) == {"mobile": 1}


@pytest.mark.parametrize(
    "text, kind",
    [
        ("LI.WEI@QQ.COM", "email"),
        ("mail: li.wei＠qq.com.", "email"),
        ("id 11010519491231002x", "resident_id"),
        ("110105 19491231 002X", "resident_id"),
        ("born 1949/12/31", "birth_date"),
        ("会员李伟你好", "full_name"),
    ],
)
def test_other_kinds_in_text(needles, text, kind):
    assert find_in_text(text, needles) == {kind: 1}


@pytest.mark.parametrize(
    "text",
    [
        "1380013800",
        "13800138001",
        "li.wei@qq.co",
        "11010519491231002",
        "2026-11-22",
        "王某芳",
        "person_key=6f1380013800e0c4",
        "[mobile] [email] [resident-id]",
    ],
)
def test_near_misses_are_no_finding(needles, text):
    assert find_in_text(text, needles) == {}


def _clean_sample(root):
    """What a clean zone, report and log look like: keys, dates, amounts, redacted comments."""
    part = root / "clean/events/dt=2026-11-22/source=platform"
    part.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "person_key": ["a3f1380013800e0c4" + "0" * 47, "b" * 64],
                "comment": ["资料请发我邮箱 [email]", "加我微信或打电话[mobile]"],
                "event_at": pa.array([1_763_769_600_000_000, None], pa.timestamp("us", "UTC")),
                "amount": pa.array([19900, 990], pa.int64()),
            }
        ),
        part / "part-00000.parquet",
    )
    logs = root / "logs"
    logs.mkdir()
    (logs / "task.log").write_text(
        "2026-11-22T18:30:01.123Z [info] users dt=2026-11-22: 1500 rows, 3 files, 138 ms\n"
        "deidentify dt=2026-11-22: wrote clean/users (age band 25-34, 北京, tier new1)\n"
    )
    (root / "reports").mkdir()
    (root / "reports" / "segments.html").write_text(
        "<td>exam learners</td><td>&#21271;&#20140;</td>"
    )
    return root


def test_no_false_alarm_on_a_clean_sample(needles, tmp_path):
    assert scan_tree(needles, _clean_sample(tmp_path / "out")) == []


def test_finds_planted_leaks_without_printing_them(needles, tmp_path):
    out = _clean_sample(tmp_path / "out")
    with (out / "logs" / "task.log").open("a") as f:
        f.write("ERROR could not reach user at 138-0013-8000\n")
    leak = out / "curated/leak/part-00000.parquet"
    leak.parent.mkdir(parents=True)
    pq.write_table(pa.table({"person_key": ["c" * 64], "note": ["contact LI.WEI@qq.com"]}), leak)
    (out / "reports" / "docs.html").write_text('<script>{"name": "\\u5f20\\u654f"}</script>')

    findings = scan_tree(needles, out)
    assert sorted((f.location, f.kind) for f in findings) == sorted(
        [
            (f"{out}/logs/task.log:3", "mobile"),
            (f"{leak}#note", "email"),
            (f"{out}/reports/docs.html:1", "full_name"),
        ]
    )
    printed = "\n".join(map(str, findings)) + repr(findings)
    assert not [v for v in PERSON_VALUES if v in printed]


def test_finds_a_name_in_a_mart_table(needles, tmp_path):
    wh = open_warehouse(f"duckdb:///{tmp_path}/wh.duckdb")
    wh.execute("CREATE SCHEMA mart")
    wh.execute("CREATE TABLE mart.segment (segment_id INTEGER, label TEXT, persons BIGINT)")
    wh.execute("INSERT INTO mart.segment VALUES (1, 'exam learners', 40), (2, '王芳的朋友', 5)")
    wh.execute("CREATE TABLE mart.clean (dt DATE, source TEXT)")
    wh.execute("INSERT INTO mart.clean VALUES (DATE '1949-12-31', 'platform')")
    assert scan_warehouse(needles, wh) == [Finding("mart.segment.label", "full_name", 1)]


def test_generated_landing_is_fully_collected(tmp_path):
    landing = tmp_path / "landing"
    truth = run_to(GeneratorConfig(persons=60, days=1, seed=3), out_dir=landing)
    needles = collect_pii(landing)
    counts = needles.counts()  # sizes only: a failing assert must not print identifiers
    assert counts["mobile"] == truth.persons_in_any_source  # every person has a mobile
    assert 0 < counts["email"] <= counts["mobile"] and counts["full_name"] > 0
    assert counts["resident_id"] > 0 and counts["birth_date"] > 0
    kinds = {f.kind for f in scan_tree(needles, landing)}
    assert kinds == {"full_name", "mobile", "email", "resident_id", "birth_date"}
