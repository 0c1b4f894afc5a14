"""jobs/deidentify.py over a hand-made validated zone: two nights, a rerun, and a PII scan."""

import shutil

import pyarrow.parquet as pq
import pytest

from alliance_pipeline.lake import paths
from alliance_pipeline.privacy.pseudonym import KEY_ENV, VERSION_ENV, PseudonymKey, person_key
from tests.unit._validated_zone import ORDERS, USERS, load_job, order, user, write_validated

pytestmark = [pytest.mark.unit, pytest.mark.spark]

SECRET = "job-test-key-0123456789abcdef"
PII = ["李伟", "王芳", "13812345678", "1381234", "li@x.com", "fang@example.com",
       "11010519491231002X", "1949-12-31", "杭州"]  # fmt: skip


def test_two_nights_rerun_and_no_pii_left(spark, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)
    monkeypatch.setenv(VERSION_ENV, "dev-test")
    root = tmp_path / "lake"
    d1, d2 = "2026-11-22", "2026-11-23"
    write_validated(
        root,
        "users",
        d1,
        "platform",
        [user("p1", "李伟", "138 1234 5678", None, "11010519491231002X", "gold", True, 22)],
        USERS,
    )
    write_validated(
        root,
        "users",
        d1,
        "moonbay",
        [
            user("m1", "李伟", "+86 13812345678", "li@x.com", None, "free", False, 22),
            user("m2", "王芳", None, "Fang@Example.com", None, "free", True, 22),
        ],
        USERS,
    )
    write_validated(
        root, "orders", d2, "moonbay", [order("o1", "m2", 23), order("o2", "m1", 23)], ORDERS
    )
    write_validated(root, "orders", d2, "platform", [order("o3", "p1", 23)], ORDERS)
    job = load_job()
    assert job.main(["--dt", d1, "--lake-root", str(root)]) == 0
    assert job.main(["--dt", d2, "--lake-root", str(root)]) == 0
    night2 = paths.partition(paths.clean("orders"), root, dt=d2)
    assert sorted(p.name for p in night2.glob("source=*")) == ["source=moonbay", "source=platform"]
    part = next(night2.glob("source=moonbay/*.parquet"))
    assert {"dt", "source"}.isdisjoint(pq.read_schema(part).names)  # hive partition folders
    # the platform batch is withdrawn (e.g. rejected on a rerun): the rerun leaves no trace of it
    shutil.rmtree(paths.validated_partition("platform", "orders", d2, root))
    assert job.main(["--dt", d2, "--lake-root", str(root)]) == 0
    assert [p.name for p in night2.glob("source=*")] == ["source=moonbay"]
    assert [p.name for p in paths.path(paths.clean("orders"), root).iterdir()] == [
        f"dt={d2}"
    ]  # no staging

    key = PseudonymKey(SECRET.encode(), "dev-test")
    orders = (
        spark.read.parquet(str(paths.path(paths.clean("orders"), root)))
        .orderBy("order_id")
        .collect()
    )
    assert [(o.order_id, o.person_key, o.key_version, o.source) for o in orders] == [
        ("o1", person_key(key, "fang@example.com"), "dev-test", "moonbay"),
        ("o2", person_key(key, "+8613812345678"), "dev-test", "moonbay"),
    ]
    persons = spark.read.parquet(str(paths.partition(paths.PERSONS, root, dt=d2))).collect()
    assert sorted(p.sources for p in persons) == ["moonbay", "moonbay;platform"]
    users = spark.read.parquet(str(paths.path(paths.clean("users"), root)))
    assert "nickname" not in users.columns and users.count() == 3

    for zone in ("clean", "curated"):
        for f in (root / zone).rglob("*.parquet"):
            text = pq.read_table(f).to_pandas().astype(str).to_csv()
            assert not [p for p in PII if p in text], f

    # rotation: every person_key in the lake moves to the new key, joins intact
    monkeypatch.setenv(KEY_ENV, "rotated-key-0123456789abcdef")
    monkeypatch.setenv(VERSION_ENV, "dev-test-2")
    assert load_job("rekey").main(["--lake-root", str(root)]) == 0
    new = PseudonymKey(b"rotated-key-0123456789abcdef", "dev-test-2")
    orders = (
        spark.read.parquet(str(paths.path(paths.clean("orders"), root)))
        .orderBy("order_id")
        .collect()
    )
    assert [(o.person_key, o.key_version) for o in orders] == [
        (person_key(new, "fang@example.com"), "dev-test-2"),
        (person_key(new, "+8613812345678"), "dev-test-2"),
    ]
    persons = spark.read.parquet(str(paths.partition(paths.PERSONS, root, dt=d2)))
    assert {p.person_key for p in persons.collect()} == {
        person_key(new, "fang@example.com"),
        person_key(new, "+8613812345678"),
    }
    identity = spark.read.parquet(str(paths.path(paths.PERSON_MAP, root)))
    assert {r.key_version for r in identity.collect()} == {"dev-test-2"}
