"""A delivery validated in chunks gives what one whole read gives, holding a chunk at a time.

Every bad-input case, and larger deliveries whose defects straddle chunks (a key duplicated
across chunks, a JSON Lines column that only some chunks carry, two part files, a batch rejected
for its bad-row share only once every chunk was judged), are validated twice on copies of one
lake: in chunks of a few rows and in one chunk. Results, validated rows, quarantined rows and
the rejected batch's record must be the same; the rows the reader, the suite and the writers
are handed at a time never exceed the chunk size.
"""

import json
import shutil
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from alliance_pipeline import delivery as delivery_module
from alliance_pipeline.config import pipeline_config
from alliance_pipeline.lake.paths import quarantine_partition, validated_partition
from alliance_pipeline.manifest import MANIFEST_NAME, Manifest, ManifestFile, sha256_bytes
from alliance_pipeline.registry import source as registry_source
from alliance_pipeline.validation import ValidationFailed, batch, quarantine, validate_batch
from tests.fixtures.bad_inputs import cases

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
SMALL = 16
ONE_CHUNK = 1_000_000
CASES = {p.name: p for p in cases.case_dirs()}


class Sizes:
    """The rows each real part is handed, recorded on the way through."""

    def __init__(self, monkeypatch):
        self.seen: dict[str, list[int]] = {}
        self._spy(monkeypatch, delivery_module, "file_frames", lambda out: out, wraps_iter=True)
        self._spy(monkeypatch, batch, "to_contract_types", lambda args: len(args[0]))
        self._spy(monkeypatch, batch, "run_suite", lambda args: len(args[0]))
        self._spy(monkeypatch, quarantine.ParquetRows, "write", lambda args: args[1].num_rows)

    def _spy(self, monkeypatch, owner, name, size, wraps_iter=False):
        real = getattr(owner, name)
        seen = self.seen.setdefault(name, [])

        if wraps_iter:

            def spy(*args, **kwargs):
                for frame in real(*args, **kwargs):
                    seen.append(len(frame))
                    yield frame
        else:

            def spy(*args, **kwargs):
                seen.append(size(args))
                return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, spy)


def run(root, src, dataset, dt, chunk_rows):
    """The result (paths made relative to ``root``), validated rows, quarantine rows, batch."""
    policy = pipeline_config().validation.override(chunk_rows=chunk_rows)
    try:
        result = validate_batch(src, dataset, dt, "run-1", now=NOW, policy=policy)
    except ValidationFailed as failed:
        result = failed.result
    body = json.loads(json.dumps(result.to_dict()).replace(str(root), "<lake>"))
    validated = validated_partition(src, dataset, dt)
    qdir = quarantine_partition(src, dataset, dt)
    return (
        body,
        pq.read_table(validated).to_pylist() if validated.exists() else None,
        pq.read_table(qdir / quarantine.ROWS_FILE).to_pylist()
        if (qdir / quarantine.ROWS_FILE).exists()
        else None,
        (qdir / quarantine.BATCH_FILE).read_text()
        if (qdir / quarantine.BATCH_FILE).exists()
        else None,
    )


def both(reference_lake, tmp_path, monkeypatch, stage, src, dataset, dt=cases.DT):
    """Validate the staged delivery in small chunks and in one chunk, each on its own lake."""
    outputs = {}
    for chunk_rows in (SMALL, ONE_CHUNK):
        root = tmp_path / f"lake-{chunk_rows}"
        shutil.copytree(reference_lake, root)
        monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(root))
        stage(root / "raw")
        sizes = Sizes(monkeypatch) if chunk_rows == SMALL else None
        outputs[chunk_rows] = run(root, src, dataset, dt, chunk_rows)
        if sizes is not None:
            monkeypatch.undo()
            small_sizes = sizes.seen
    return outputs[SMALL], outputs[ONE_CHUNK], small_sizes


def assert_bounded(sizes: dict[str, list[int]]) -> None:
    for name in ("file_frames", "to_contract_types", "run_suite", "write"):
        assert max(sizes[name], default=0) <= SMALL, name


def chunks(rows: int) -> int:
    return -(-rows // SMALL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_input_case_reads_the_same_in_chunks(name, reference_lake, tmp_path, monkeypatch):
    case = json.loads((CASES[name] / "case.json").read_text())

    def stage(raw):
        cases.stage(CASES[name], raw)

    small, whole, sizes = both(
        reference_lake, tmp_path, monkeypatch, stage, case["source"], case["dataset"], case["dt"]
    )
    assert small == whole
    assert_bounded(sizes)


def stage_files(raw, src, dataset, parts: list[bytes], rows: list[int]) -> None:
    """A delivery of several CSV part files and its manifest."""
    folder = raw / src / dataset / f"dt={cases.DT}"
    folder.mkdir(parents=True)
    listed = []
    for i, (data, n) in enumerate(zip(parts, rows, strict=True)):
        name = f"part-{i:05d}.csv"
        (folder / name).write_bytes(data)
        key = registry_source(src).landing_key(dataset, cases.DT, name)
        listed.append(ManifestFile(key, n, sha256_bytes(data)))
    manifest = Manifest(src, dataset, cases.DT, 1, tuple(listed))
    (folder / MANIFEST_NAME).write_text(manifest.to_json())


def orders(n: int, src: str = "kestrel") -> list[dict]:
    rows = [
        r | {"order_id": f"{src}-o{i:04d}"}
        for i, r in enumerate(cases.orders(src) * (n // cases.N))
    ]
    rows[-3]["order_id"] = rows[1]["order_id"]  # a key duplicated across chunks (no latest)
    rows[-3]["updated_at"] = rows[1]["updated_at"]
    rows[9]["amount"] = "-1.00"
    rows[30]["currency"] = "JPY"
    rows[-5]["quantity"] = "１"
    return rows


def test_defects_across_chunks_and_files_read_the_same(reference_lake, tmp_path, monkeypatch):
    rows = orders(120)

    def stage(raw):
        data = [cases.csv_bytes(rows[:50]), cases.csv_bytes(rows[50:])]
        stage_files(raw, "kestrel", "orders", data, [50, 70])

    small, whole, sizes = both(reference_lake, tmp_path, monkeypatch, stage, "kestrel", "orders")
    result = whole[0]
    assert (result["rows_in"], result["rows_quarantined"]) == (120, 5)
    broken = {
        e["expectation"]: e["rows_affected"] for e in result["expectations"] if not e["passed"]
    }
    assert broken == {
        "unique_key": 2,
        "range:amount": 1,
        "refund_le_amount": 1,
        "amount_is_quantity_x_unit_price": 1,
        "allowed:currency": 1,
        "fullwidth_digits:quantity": 1,
        "not_null:quantity": 1,
    }
    assert small == whole
    assert_bounded(sizes)
    assert len(sizes["run_suite"]) == chunks(120)


def test_a_jsonl_column_only_some_chunks_carry_reads_the_same(
    reference_lake, tmp_path, monkeypatch
):
    rows = orders(40, "tidewave")
    rows = [{k: v for k, v in r.items() if v != "" or i > 30} for i, r in enumerate(rows)]

    def stage(raw):
        cases.stage_bytes(raw, "tidewave", "orders", cases.jsonl_bytes(rows), len(rows))

    small, whole, sizes = both(reference_lake, tmp_path, monkeypatch, stage, "tidewave", "orders")
    assert small == whole
    assert_bounded(sizes)
    assert len(sizes["run_suite"]) == chunks(40)


def test_a_batch_rejected_for_its_bad_row_share_reads_the_same(
    reference_lake, tmp_path, monkeypatch
):
    rows = orders(40)
    for i in range(0, 40, 4):
        rows[i]["currency"] = "XXX"

    def stage(raw):
        cases.stage_bytes(raw, "kestrel", "orders", cases.csv_bytes(rows), len(rows))

    small, whole, sizes = both(reference_lake, tmp_path, monkeypatch, stage, "kestrel", "orders")
    assert whole[0]["failed_critical"] == ["bad_row_share"] and whole[1] is None
    assert len(whole[2]) == 40 and whole[3] is not None
    assert small == whole
    assert_bounded(sizes)
    assert len(sizes["run_suite"]) == chunks(40)
