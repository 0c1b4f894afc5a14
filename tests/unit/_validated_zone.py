"""A hand-made validated zone for the de-identification job: validated/{dataset}/dt={dt}/
source={source}/part-0.parquet with the contract's columns (personal data included), plus the
job scripts under jobs/ loaded as modules."""

from __future__ import annotations

import datetime
import importlib.util
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from alliance_pipeline.lake.paths import validated_partition

JOBS = Path(__file__).resolve().parents[2] / "jobs"
UTC = datetime.UTC
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
EVENTS = pa.schema(
    [("event_id", pa.string()), ("source_user_id", pa.string()), ("content_id", pa.string()),
     ("event_type", pa.string()), ("event_at", TS), ("duration_s", pa.int64()),
     ("progress_pct", pa.float64()), ("campaign_id", pa.string()), ("device", pa.string()),
     ("comment", pa.string())]
)  # fmt: skip
FX_RATES = pa.schema(
    [("date", pa.date32()), ("currency", pa.string()), ("cny_per_unit", pa.decimal128(18, 6))]
)


def load_job(name: str = "deidentify"):
    """``jobs/{name}.py`` as a module, to call its ``main(argv)`` in the test's Spark session."""
    spec = importlib.util.spec_from_file_location(f"{name}_job", JOBS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_validated(
    root: Path, dataset: str, dt: str, source: str, rows: list[dict], schema: pa.Schema
) -> None:
    folder = validated_partition(source, dataset, dt, root)
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema), folder / "part-0.parquet")


def user(uid, name, mobile, email, id_card, tier, consent, day):
    ts = datetime.datetime(2026, 11, day, 9, tzinfo=UTC)
    return dict(source_user_id=uid, full_name=name, mobile=mobile, email=email,
                id_card_no=id_card, birth_date=None, gender="M", city="杭州市", registered_at=ts,
                membership_tier=tier, marketing_consent=consent, updated_at=ts, nickname=name)  # fmt: skip


def order(oid, uid, day):
    ts = datetime.datetime(2026, 11, day, 10, tzinfo=UTC)
    return dict(order_id=oid, source_user_id=uid, content_id="c1", quantity=1,
                unit_price=Decimal("9.90"), amount=Decimal("9.90"), currency="CNY", ordered_at=ts,
                status="paid", refund_amount=None, refunded_at=None, referral_code=None,
                campaign_id=None, channel="app", updated_at=ts)  # fmt: skip


def event(eid, uid, day, comment):
    ts = datetime.datetime(2026, 11, day, 11, tzinfo=UTC)
    return dict(event_id=eid, source_user_id=uid, content_id="c1", event_type="view", event_at=ts,
                duration_s=60, progress_pct=10.0, campaign_id=None, device="ios", comment=comment)  # fmt: skip
