"""jobs/deidentify.py over a hand-made validated zone: two nights, a rerun, and a PII scan."""

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliance_pipeline.privacy.pseudonym import KEY_ENV, VERSION_ENV, PseudonymKey, person_key

pytestmark = pytest.mark.spark

JOBS = Path(__file__).resolve().parents[2] / "jobs"
SECRET = "job-test-key-0123456789abcdef"
UTC = dt.UTC
PII = ["李伟", "王芳", "13812345678", "1381234", "li@x.com", "fang@example.com",
       "11010519491231002X", "1949-12-31", "杭州"]  # fmt: skip


def _job(name="deidentify"):
    spec = importlib.util.spec_from_file_location(f"{name}_job", JOBS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(root: Path, dataset: str, ds: str, source: str, rows: list[dict], schema: pa.Schema):
    folder = root / "validated" / dataset / f"dt={ds}" / f"source={source}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema), folder / "part-0.parquet")


TS = pa.timestamp("us", tz="UTC")
USERS = pa.schema(
    [("source_user_id", pa.string()), ("full_name", pa.string()), ("mobile", pa.string()),
     ("email", pa.string()), ("id_card_no", pa.string()), ("birth_date", pa.date32()),
     ("gender", pa.string()), ("city", pa.string()), ("registered_at", TS),
     ("membership_tier", pa.string()), ("marketing_consent", pa.bool_()), ("updated_at", TS),
     ("nickname", pa.string())]  # a drifted extra column holding PII
)  # fmt: skip
ORDERS = pa.schema(
    [("order_id", pa.string()), ("source_user_id", pa.string()), ("content_id", pa.string()),
     ("quantity", pa.int64()), ("unit_price", pa.decimal128(18, 2)),
     ("amount", pa.decimal128(18, 2)), ("currency", pa.string()), ("ordered_at", TS),
     ("status", pa.string()), ("refund_amount", pa.decimal128(18, 2)), ("refunded_at", TS),
     ("referral_code", pa.string()), ("campaign_id", pa.string()), ("channel", pa.string()),
     ("updated_at", TS)]
)  # fmt: skip


def _user(uid, name, mobile, email, id_card, tier, consent, day):
    ts = dt.datetime(2026, 11, day, 9, tzinfo=UTC)
    return dict(source_user_id=uid, full_name=name, mobile=mobile, email=email,
                id_card_no=id_card, birth_date=None, gender="M", city="杭州市", registered_at=ts,
                membership_tier=tier, marketing_consent=consent, updated_at=ts, nickname=name)  # fmt: skip


def _order(oid, uid, day):
    ts = dt.datetime(2026, 11, day, 10, tzinfo=UTC)
    from decimal import Decimal

    return dict(order_id=oid, source_user_id=uid, content_id="c1", quantity=1,
                unit_price=Decimal("9.90"), amount=Decimal("9.90"), currency="CNY", ordered_at=ts,
                status="paid", refund_amount=None, refunded_at=None, referral_code=None,
                campaign_id=None, channel="app", updated_at=ts)  # fmt: skip


def test_two_nights_rerun_and_no_pii_left(spark, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)
    monkeypatch.setenv(VERSION_ENV, "dev-test")
    root = tmp_path / "lake"
    d1, d2 = "2026-11-22", "2026-11-23"
    _write(
        root,
        "users",
        d1,
        "platform",
        [_user("p1", "李伟", "138 1234 5678", None, "11010519491231002X", "gold", True, 22)],
        USERS,
    )
    _write(
        root,
        "users",
        d1,
        "moonbay",
        [
            _user("m1", "李伟", "+86 13812345678", "li@x.com", None, "free", False, 22),
            _user("m2", "王芳", None, "Fang@Example.com", None, "free", True, 22),
        ],
        USERS,
    )
    _write(root, "orders", d2, "moonbay", [_order("o1", "m2", 23), _order("o2", "m1", 23)], ORDERS)
    _write(root, "orders", d2, "platform", [_order("o3", "p1", 23)], ORDERS)
    job = _job()
    assert job.main(["--ds", d1, "--lake-root", str(root)]) == 0
    assert job.main(["--ds", d2, "--lake-root", str(root)]) == 0
    night2 = root / "clean" / "orders" / f"dt={d2}"
    assert sorted(p.name for p in night2.glob("source=*")) == ["source=moonbay", "source=platform"]
    part = next(night2.glob("source=moonbay/*.parquet"))
    assert {"dt", "source"}.isdisjoint(pq.read_schema(part).names)  # hive partition folders
    # the platform batch is withdrawn (e.g. rejected on a rerun): the rerun leaves no trace of it
    shutil.rmtree(root / "validated" / "orders" / f"dt={d2}" / "source=platform")
    assert job.main(["--ds", d2, "--lake-root", str(root)]) == 0
    assert [p.name for p in night2.glob("source=*")] == ["source=moonbay"]
    assert not list((root / "clean" / "orders").glob("_*"))  # no staging left behind

    key = PseudonymKey(SECRET.encode(), "dev-test")
    orders = spark.read.parquet(str(root / "clean" / "orders")).orderBy("order_id").collect()
    assert [(o.order_id, o.person_key, o.key_version, o.source) for o in orders] == [
        ("o1", person_key(key, "fang@example.com"), "dev-test", "moonbay"),
        ("o2", person_key(key, "+8613812345678"), "dev-test", "moonbay"),
    ]
    persons = spark.read.parquet(str(root / "curated" / "persons" / f"dt={d2}")).collect()
    assert sorted(p.sources for p in persons) == ["moonbay", "moonbay;platform"]
    users = spark.read.parquet(str(root / "clean" / "users"))
    assert "nickname" not in users.columns and users.count() == 3

    for zone in ("clean", "curated"):
        for f in (root / zone).rglob("*.parquet"):
            text = pq.read_table(f).to_pandas().astype(str).to_csv()
            assert not [p for p in PII if p in text], f

    # rotation: every person_key in the lake moves to the new key, joins intact
    monkeypatch.setenv(KEY_ENV, "rotated-key-0123456789abcdef")
    monkeypatch.setenv(VERSION_ENV, "dev-test-2")
    assert _job("rekey").main(["--lake-root", str(root)]) == 0
    new = PseudonymKey(b"rotated-key-0123456789abcdef", "dev-test-2")
    orders = spark.read.parquet(str(root / "clean" / "orders")).orderBy("order_id").collect()
    assert [(o.person_key, o.key_version) for o in orders] == [
        (person_key(new, "fang@example.com"), "dev-test-2"),
        (person_key(new, "+8613812345678"), "dev-test-2"),
    ]
    persons = spark.read.parquet(str(root / "curated" / "persons" / f"dt={d2}"))
    assert {p.person_key for p in persons.collect()} == {
        person_key(new, "fang@example.com"),
        person_key(new, "+8613812345678"),
    }
    identity = spark.read.parquet(str(root / "identity" / "person_map"))
    assert {r.key_version for r in identity.collect()} == {"dev-test-2"}
