"""The sample partner data generator: determinism, realism, planted truth, defects, layout."""

from __future__ import annotations

import datetime
import io
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from alliance_pipeline.contracts import dataset
from alliance_pipeline.generator import GeneratorConfig, encode, generate, write_landing
from alliance_pipeline.generator.cli import main as cli_main
from alliance_pipeline.generator.identifiers import is_valid_resident_id
from alliance_pipeline.manifest import MANIFEST_NAME, parse_manifest, sha256_bytes
from alliance_pipeline.registry import load_sources
from alliance_pipeline.settings import CONFIG_DIR

pytestmark = pytest.mark.unit

END = datetime.date(2026, 11, 23)
SMALL = GeneratorConfig(persons=1500, days=5, end_date=END, seed=11, orders_per_person_day=0.05)
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(text: str) -> str:
    digits = "".join(str(int(ch)) for ch in text if ch.isdigit())
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def read_frame(path: Path, fmt: str, encoding: str) -> pd.DataFrame:
    data = path.read_bytes()
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(data)).to_pandas()
    text = data.decode(encoding)
    if fmt == "csv":
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return pd.read_json(io.StringIO(text), lines=True, dtype=False) if text else pd.DataFrame()


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("landing")
    run = generate(SMALL)
    written = list(write_landing(run.deliveries, out_dir=out))
    return run, out, written


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    out = tmp_path_factory.mktemp("landing_defects")
    run = generate(GeneratorConfig(persons=1500, days=1, end_date=END, seed=11, defects=True))
    return run, out, list(write_landing(run.deliveries, out_dir=out))


def users_of(out: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for src in load_sources():
        parts = sorted((out / src.landing_prefix / "users").glob("dt=*/part-*"))
        frames[src.id] = pd.concat(
            [read_frame(p, src.format, src.encoding).astype(str) for p in parts]
        )
    return frames


def test_same_seed_same_bytes_other_seed_other_bytes(clean):
    _, _, written = clean
    first = {k: sha256_bytes(b) for e in written for k, b in e.objects()}
    again = {k: sha256_bytes(b) for d in generate(SMALL).deliveries for k, b in encode(d).objects()}
    assert first == again
    other = generate(GeneratorConfig(persons=1500, days=2, end_date=END, seed=12))
    other_hashes = {k: sha256_bytes(b) for d in other.deliveries for k, b in encode(d).objects()}
    assert other_hashes != first


def test_every_source_delivers_every_dataset_every_night_with_a_matching_manifest(clean):
    run, out, _ = clean
    expected = {
        (s.landing_prefix, name, d.isoformat())
        for s in load_sources()
        for name in s.datasets
        for d in SMALL.dates
    }
    found = set()
    for man in out.rglob(MANIFEST_NAME):
        prefix = man.parent.relative_to(out).as_posix() + "/"
        src_prefix, name, dt_part = prefix.rstrip("/").rsplit("/", 2)
        found.add((src_prefix, name, dt_part.removeprefix("dt=")))
        src = next(s for s in load_sources() if s.landing_prefix == src_prefix)
        m = parse_manifest(
            man.read_bytes(), source=src.id, dataset=name, dt=dt_part[3:], prefix=prefix
        )
        for f in m.files:
            data = (out / f.key).read_bytes()
            assert sha256_bytes(data) == f.sha256
            assert len(read_frame(out / f.key, src.format, src.encoding)) == f.rows
    assert found == expected
    assert all(d["rows"] >= 0 for d in run.truth.deliveries)
    assert len(run.truth.deliveries) == len(expected)


def test_columns_equal_the_contract_and_parquet_is_typed(clean):
    _, out, _ = clean
    for src in load_sources():
        for name in src.datasets:
            part = next((out / src.landing_prefix / name).glob("dt=*/part-00000.*"))
            if src.format == "parquet":
                schema = pq.read_schema(part)
                assert schema.names == dataset(name).column_names
            elif src.format == "csv":
                header = part.read_bytes().decode(src.encoding).splitlines()[0]
                assert header.replace('"', "").split(",") == dataset(name).column_names
    lumen = pq.read_schema(next((out / "partners/lumen/orders").glob("dt=*/part-00000.parquet")))
    assert lumen.field("amount").type == pa.decimal128(18, 2)
    assert lumen.field("ordered_at").type == pa.timestamp("us", tz="Asia/Shanghai")
    assert lumen.field("quantity").type == pa.int64()
    assert lumen.field("order_id").type == pa.string()
    users = pq.read_schema(next((out / "partners/lumen/users").glob("dt=*/part-00000.parquet")))
    assert users.field("birth_date").type == pa.date32()
    assert users.field("marketing_consent").type == pa.bool_()


def test_gbk_source_decodes_as_gbk_only(clean):
    _, out, _ = clean
    part = next((out / "partners/moonbay/users").glob("dt=*/part-00000.csv"))
    data = part.read_bytes()
    text = data.decode("gbk")
    assert re.search(r"[\u4e00-\u9fff]", text)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_text_formats_of_money_timestamps_and_booleans(clean):
    _, out, _ = clean
    orders = read_frame(next((out / "platform/orders").glob("dt=*/part-00000.csv")), "csv", "utf-8")
    assert orders["amount"].str.fullmatch(r"\d+\.\d\d").all()
    assert orders["ordered_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00").all()
    users = read_frame(next((out / "platform/users").glob("dt=*/part-00000.csv")), "csv", "utf-8")
    assert set(users["marketing_consent"]) == {"true", "false"}


def test_resident_ids_have_valid_check_digits_and_match_birth_dates(clean):
    _, out, _ = clean
    checked = 0
    for frame in users_of(out).values():
        ids = frame[~frame["id_card_no"].isin(["", "None", "nan"])]
        for rid, birth in zip(ids["id_card_no"], ids["birth_date"], strict=True):
            assert is_valid_resident_id(rid.upper()), rid
            assert rid[6:14] == birth.replace("-", "")[:8]
            checked += 1
    assert checked > 500
    assert not is_valid_resident_id("110105199001011230")


def test_mobiles_normalise_to_valid_cn_numbers_in_varied_spellings(clean):
    _, out, _ = clean
    spellings = set()
    for frame in users_of(out).values():
        for raw in frame["mobile"]:
            assert MOBILE.match(normalise_mobile(raw)), raw
            spellings.add(re.sub(r"\d", "9", raw))
    assert len(spellings) >= 5


def test_overlap_is_planted_and_equal_to_the_truth(clean):
    run, out, _ = clean
    persons = {
        sid: {normalise_mobile(m) for m in frame["mobile"]} for sid, frame in users_of(out).items()
    }
    for sid, known in persons.items():
        assert len(known) == run.truth.persons_per_source[sid]
    for pair, count in run.truth.overlap.items():
        a, b = pair.split("|")
        assert len(persons[a] & persons[b]) == count
    assert min(run.truth.overlap.values()) > 0
    assert run.truth.behaviour_groups == 4


def test_campaign_touches_refunds_and_currencies(clean):
    run, _, _ = clean

    def column(name: str, col: str) -> list:
        return [v for d in run.deliveries if d.dataset == name for v in d.table[col].to_pylist()]

    touch_types = {
        t
        for d in run.deliveries
        if d.dataset == "events"
        for t, c in zip(
            d.table["event_type"].to_pylist(), d.table["campaign_id"].to_pylist(), strict=False
        )
        if c is not None
    }
    assert touch_types == {"click", "view"}
    assert {"CNY", "USD"} <= set(column("orders", "currency"))
    assert any(column("orders", "referral_code"))
    assert {"refunded", "partially_refunded"} & set(column("orders", "status"))
    clicks, shown = (
        column("campaign_delivery", "clicks"),
        column("campaign_delivery", "impressions"),
    )
    assert clicks and all(c <= i for c, i in zip(clicks, shown, strict=True))
    comments = [c for c in column("events", "comment") if c]
    assert any(re.search(r"\d{11}|@|\d{17}[\dXx]", c) for c in comments)
    assert run.truth.defects == []


def test_defects_are_injected_recorded_and_detectable(broken):
    run, out, written = broken
    kinds = {d["kind"] for d in run.truth.defects}
    assert {
        "missing_required_column",
        "checksum_mismatch",
        "truncated_file",
        "row_count_mismatch",
        "excel_mangled_mobile",
        "unknown_enum",
        "future_timestamp",
        "duplicate_key",
        "negative_amount",
        "orphan_order",
        "refund_amount_gt_amount",
        "clicks_gt_impressions",
    } <= kinds
    by_kind = {d["kind"]: d for d in run.truth.defects}
    enc = {(e.delivery.source.id, e.delivery.dataset): e for e in written}
    sums = by_kind["checksum_mismatch"]
    e = enc[sums["source"], sums["dataset"]]
    assert sha256_bytes(e.files[0][1]) != e.manifest.files[0].sha256
    missing = by_kind["missing_required_column"]
    table = enc[missing["source"], missing["dataset"]]
    assert missing["column"] not in to_columns(table)
    neg = by_kind["negative_amount"]
    orders = {d.dataset: d.table for d in run.deliveries if d.source.id == neg["source"]}["orders"]
    bad = orders.filter(pa.compute.is_in(orders["order_id"], pa.array(neg["keys"])))
    assert all(a < 0 for a in bad["amount"].to_pylist())
    dup = by_kind["duplicate_key"]
    events = next(
        d.table for d in run.deliveries if (d.source.id, d.dataset) == (dup["source"], "events")
    )
    assert events["event_id"].to_pylist().count(dup["keys"][0]) == 2
    mangled = by_kind["excel_mangled_mobile"]
    assert mangled["keys"] and json.dumps(run.truth.defects)
    assert (out / "platform/users/dt=2026-11-23" / MANIFEST_NAME).exists()


def to_columns(e) -> list[str]:
    data = e.files[0][1]
    src = e.delivery.source
    if src.format == "parquet":
        return pq.read_schema(io.BytesIO(data)).names
    return list(read_frame_bytes(data, src.format, src.encoding).columns)


def read_frame_bytes(data: bytes, fmt: str, encoding: str) -> pd.DataFrame:
    text = data.decode(encoding)
    if fmt == "csv":
        return pd.read_csv(io.StringIO(text), dtype=str)
    return pd.read_json(io.StringIO(text), lines=True)


def test_a_partner_added_to_the_registry_gets_data_without_code(tmp_path):
    registry = yaml.safe_load((CONFIG_DIR / "sources.yml").read_text(encoding="utf-8"))
    registry["sources"].append(
        {
            "id": "orchid",
            "name": "Orchid Tea",
            "kind": "partner",
            "landing_prefix": "partners/orchid",
            "outbound_prefix": "outbound/orchid",
            "datasets": ["users", "events", "orders", "campaign_delivery"],
            "format": "jsonl",
            "alert_contact": "x@orchid.example",
        }
    )
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    truth_path = tmp_path / "truth.json"
    out = tmp_path / "landing"
    code = cli_main(
        ["--persons", "400", "--registry", str(path), "--sources", "platform,orchid",
         "--out-dir", str(out), "--truth", str(truth_path)]
    )  # fmt: skip
    assert code == 0
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    assert truth["persons_per_source"]["orchid"] > 0
    assert (out / "partners/orchid/users/dt=2026-11-23" / MANIFEST_NAME).exists()
    assert sorted(p.name for p in (out / "partners/orchid").iterdir()) == sorted(
        ["users", "events", "orders", "campaign_delivery"]
    )


def test_planted_campaign_response_only_adds_partner_clicks_and_orders():
    """generator/responses.py draws from its own stream: a seed's other rows stay as they were."""
    import dataclasses

    import numpy as np

    from alliance_pipeline.contracts import EVENT_TYPES
    from alliance_pipeline.generator.world import build_world

    cfg = GeneratorConfig(persons=800, days=10, end_date=END, seed=3)
    planted, plain = build_world(cfg), build_world(dataclasses.replace(cfg, campaign_response=0))
    added_clicks = 0
    for sid, ev in planted.events.items():
        partner = planted.profiles[sid].source.kind == "partner"
        for new, old, key in ((ev, plain.events[sid], "seq"),
                              (planted.orders[sid], plain.orders[sid], "order_no")):  # fmt: skip
            kept = np.isin(getattr(new, key), getattr(old, key))
            for f in dataclasses.fields(old):
                assert np.array_equal(np.asarray(getattr(new, f.name))[kept],
                                      np.asarray(getattr(old, f.name))), (sid, f.name)  # fmt: skip
            assert partner or kept.all()
        extra = ~np.isin(ev.seq, plain.events[sid].seq)
        assert (ev.etype[extra] == EVENT_TYPES.index("click")).all()
        owners = np.array(planted.campaigns.partner_id)[ev.campaign[extra]]
        assert (owners == sid).all()
        added_clicks += int(extra.sum())
    assert added_clicks > 100


def test_refund_after_close_refunds_an_earlier_months_order_on_the_last_night_only():
    """refund_after_close appends one re-delivery, on the last night, of a paid November order
    credited to a partner campaign; every delivered row of the run without it is unchanged."""
    import dataclasses

    cfg = GeneratorConfig(
        persons=1500, days=4, end_date=datetime.date(2026, 12, 2), seed=7, defects=True,
        orders_per_person_day=0.05,
    )  # fmt: skip
    plain = generate(cfg)
    planted = generate(dataclasses.replace(cfg, refund_after_close=True))
    refund = planted.truth.refund_after_close
    assert plain.truth.refund_after_close is None
    assert refund["dt"] == "2026-12-02" and refund["period"] == "2026-11"
    assert refund["ordered_dt"] in ("2026-11-29", "2026-11-30")

    def orders_of(run, dt):
        (d,) = [d for d in run.deliveries
                if (d.source.id, d.dataset, d.dt) == (refund["source"], "orders", dt)]  # fmt: skip
        return d.table.to_pylist()

    (first,) = [r for r in orders_of(planted, refund["ordered_dt"])
                if r["order_id"] == refund["order_id"]]  # fmt: skip
    (again,) = [r for r in orders_of(planted, refund["dt"]) if r["order_id"] == refund["order_id"]]
    assert first["status"] == "paid" and first["referral_code"] is not None
    assert first["currency"] == "CNY" and first["ordered_at"] == again["ordered_at"]
    assert again["status"] == "refunded" and again["refund_amount"] == first["amount"]
    assert again["refunded_at"] == again["updated_at"]
    assert again["updated_at"].date() == datetime.date(2026, 12, 2)
    assert int(first["amount"] * 100) == refund["refund_minor"]
    campaigns = next(d for d in planted.deliveries if d.dataset == "campaigns").table.to_pylist()
    (campaign,) = [c for c in campaigns if c["referral_code"] == first["referral_code"]]
    assert campaign["campaign_id"] == refund["campaign_id"]
    # the partner's orders are not a planted bad batch, and nothing else moved
    assert not [d for d in planted.truth.defects
                if (d["source"], d["dataset"]) == (refund["source"], "orders")]  # fmt: skip
    assert len(planted.deliveries) == len(plain.deliveries)
    for new, old in zip(planted.deliveries, plain.deliveries, strict=True):
        assert (new.source.id, new.dataset, new.dt) == (old.source.id, old.dataset, old.dt)
        if (new.source.id, new.dataset, new.dt) == (refund["source"], "orders", refund["dt"]):
            assert new.table.slice(0, old.table.num_rows).equals(old.table)
            assert new.table.num_rows == old.table.num_rows + 1
            assert new.table.slice(old.table.num_rows).to_pylist() == [again]
        else:
            assert new.table.equals(old.table), (new.source.id, new.dataset, new.dt)
    assert planted.truth.defects == plain.truth.defects
