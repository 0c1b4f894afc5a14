"""A harness that looks for the next bad-file bug: valid deliveries of every format and encoding,
damaged at random, driven through ingestion's checks and the validation gate.

Whatever the damage, a run ends in an ingestion error or a validation result naming its rule
(accepted, rows quarantined, or the batch rejected), never another exception; every row is
accounted for (rows in = passed + quarantined = the rows ingestion counted, every quarantined
row with its rules); no personal value of the input appears outside the restricted zones (raw,
quarantine, validated) nor in any message; and an undamaged delivery passes whole. Ingestion's
checks run on the part files as S3 would hand them over
(:func:`~alliance_pipeline.ingestion.check_part`); the S3 transfer itself is the integration
tests' business. The saved dq and GX results are scanned, not the data docs rendered from them
(rendering costs seconds per example; tests/unit/test_hostile_files.py renders them).

Examples: ``ALLIANCE_DAMAGE_EXAMPLES`` (default 10, besides the fixed ``@example`` cases of bugs
found before; about a second each; e.g. 500 for a longer search).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from alliance_pipeline.contracts import dataset as contract
from alliance_pipeline.ingestion import IngestionError, check_part, manifest_from
from alliance_pipeline.manifest import MANIFEST_NAME, file_name
from alliance_pipeline.registry import source as registry_source
from alliance_pipeline.validation import ValidationFailed, validate_batch
from tests.fixtures.bad_inputs import cases
from tests.fixtures.bad_inputs.lake import NOW

pytestmark = pytest.mark.unit

EXAMPLES = int(os.environ.get("ALLIANCE_DAMAGE_EXAMPLES", "10"))
# one delivery per format and encoding: (source, dataset)
DELIVERIES = [
    ("moonbay", "users"),  # CSV, GBK
    ("kestrel", "users"),  # CSV, UTF-8
    ("kestrel", "orders"),
    ("tidewave", "events"),  # JSON Lines
    ("tidewave", "orders"),
    ("lumen", "orders"),  # Parquet
    ("lumen", "users"),
]
RESTRICTED = ("raw", "quarantine", "validated", "identity")
CONTROL = ["\x00", "\x1b", "\r", "\n", '"', ",", "\u2028", "\ufeff"]
CODECS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "latin-1"]


def personal_rows(source_id: str, dataset: str) -> list[dict]:
    rows = {"users": cases.users, "orders": cases.orders, "events": cases.events}[dataset](
        source_id
    )
    if dataset == "users":  # values long enough to be unmistakable in any output
        for i, r in enumerate(rows):
            r["full_name"] = f"欧阳娜娜{i:02d}"
            r["mobile"] = f"1390{i:03d}4417"
            r["email"] = f"nana.ouyang{i:02d}@example.org"
    return rows


def personal_values(rows: list[dict]) -> set[str]:
    return {str(r[c]) for r in rows for c in ("full_name", "mobile", "email") if c in r}


row_damage = st.one_of(
    st.tuples(st.just("reorder"), st.permutations(range(16))),
    st.tuples(st.just("drop_column"), st.integers(0, 20)),
    st.tuples(st.just("rename_to_value"), st.integers(0, 20)),
    st.tuples(st.just("cell"), st.integers(0, 39), st.integers(0, 20), st.sampled_from(CONTROL)),
    st.tuples(st.just("wrong_type"), st.integers(0, 39), st.integers(0, 20)),
    st.tuples(st.just("duplicate_row"), st.integers(0, 39), st.booleans()),
)
byte_damage = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(CONTROL)),
    st.tuples(st.just("delimiter"), st.sampled_from([b";", b"\t", b"|"])),
    st.tuples(st.just("encoding"), st.sampled_from(CODECS)),
    st.tuples(st.just("drop_first_line")),
    st.tuples(st.just("duplicate_header_column"), st.integers(0, 20)),
)
manifest_damage = st.one_of(
    st.just(("none",)),
    st.just(("none",)),
    st.just(("none",)),
    st.tuples(st.just("rows"), st.integers(-3, 3)),
    st.tuples(st.just("key"), st.sampled_from(["..", ".", "a//b.csv", "x/part-00000.csv"])),
    st.tuples(st.just("split"), st.floats(0.1, 0.9)),
)


def damage_rows(rows: list[dict], ops, pii: list[str]) -> list[dict]:
    rows = [dict(r) for r in rows]
    for op in ops if rows else ():
        names = list(rows[0])
        if op[0] == "reorder":
            rank = {n: op[1].index(i % 16) + i / 100 for i, n in enumerate(names)}
            rows = [{n: r.get(n) for n in sorted(names, key=rank.get)} for r in rows]
        elif op[0] == "drop_column":
            gone = names[op[1] % len(names)]
            rows = [{k: v for k, v in r.items() if k != gone} for r in rows]
        elif op[0] == "rename_to_value":  # a header cell that is a person's value
            old = names[op[1] % len(names)]
            rows = [{(pii[0] if k == old else k): v for k, v in r.items()} for r in rows]
        elif op[0] == "cell":
            r = rows[op[1] % len(rows)]
            col = names[op[2] % len(names)]
            r[col] = f"{r.get(col) or ''}{op[3]}x"
        elif op[0] == "wrong_type":
            r = rows[op[1] % len(rows)]
            r[names[op[2] % len(names)]] = "１.38E+10"
        elif op[0] == "duplicate_row":
            r = dict(rows[op[1] % len(rows)])
            if op[2] and "updated_at" in r:
                r["updated_at"] = f"{cases.DT}T23:00:00+08:00"
            rows.append(r)
    return rows


def encode(source_id: str, dataset: str, rows: list[dict]) -> bytes:
    src = registry_source(source_id)
    names = list(rows[0]) if rows else contract(dataset).column_names
    if src.format == "parquet":
        table = pa.Table.from_pylist(
            [{k: _text(v) for k, v in r.items()} for r in rows],
            schema=None if rows else pa.schema([(n, pa.string()) for n in names]),
        )
        buf = io.BytesIO()
        pq.write_table(table, buf)
        return buf.getvalue()
    if src.format == "jsonl":
        return cases.jsonl_bytes(rows)
    lines = [",".join(names)] + [",".join(_text(r.get(c)) or "" for c in names) for r in rows]
    return ("\n".join(lines) + "\n").encode(src.encoding, errors="replace")


def _text(v) -> str | None:
    return None if v is None or v == "" else str(v)


def damage_bytes(data: bytes, ops, encoding: str) -> bytes:
    for op in ops:
        at = int(op[1] * len(data)) if len(op) > 1 and isinstance(op[1], float) else 0
        if op[0] == "flip" and data:
            data = data[:at] + bytes([op[2]]) + data[at + 1 :]
        elif op[0] == "truncate":
            data = data[:at]
        elif op[0] == "insert":
            data = data[:at] + op[2].encode("utf-8") + data[at:]
        elif op[0] == "delimiter":
            data = data.replace(b",", op[1])
        elif op[0] == "encoding":
            codec = "gb18030" if encoding == "gbk" else "utf-8"
            data = data.decode(codec, errors="replace").encode(op[1], errors="replace")
        elif op[0] == "drop_first_line":
            data = data.split(b"\n", 1)[-1]
        elif op[0] == "duplicate_header_column":
            head, _, rest = data.partition(b"\n")
            cells = head.split(b",")
            cells.append(cells[op[1] % len(cells)])
            data = b",".join(cells) + b"\n" + rest
    return data


def deliver(raw: Path, source_id: str, dataset: str, parts: list[tuple[bytes, int]], edit):
    """The part files (bytes, rows) and manifest as the raw zone holds them, manifest edited."""
    src = registry_source(source_id)
    folder = raw / source_id / dataset / f"dt={cases.DT}"
    shutil.rmtree(folder, ignore_errors=True)  # a re-delivery of a reference dataset
    folder.mkdir(parents=True)
    files = []
    for i, (body, rows) in enumerate(parts):
        name = f"part-{i:05d}.{src.format}"
        (folder / name).write_bytes(body)
        key = src.landing_key(dataset, cases.DT, name)
        files.append({"key": key, "rows": rows, "sha256": hashlib.sha256(body).hexdigest()})
    if edit[0] == "rows":
        files[0]["rows"] = max(0, files[0]["rows"] + edit[1])
    if edit[0] == "key":
        files[0]["key"] = src.landing_key(dataset, cases.DT, edit[1])
    manifest = {"source": source_id, "dataset": dataset, "dt": cases.DT, "schema_version": 1}
    (folder / MANIFEST_NAME).write_text(json.dumps({**manifest, "files": files}))
    return folder


def ingest_checks(folder: Path, source_id: str, dataset: str) -> int:
    """Ingestion's checks of a delivery already transferred; its rows, or IngestionError."""
    src = registry_source(source_id)
    manifest = manifest_from((folder / MANIFEST_NAME).read_bytes(), src, dataset, cases.DT)
    where = f"source={source_id} dataset={dataset} dt={cases.DT}"
    for entry in manifest.files:
        local = folder / file_name(entry.key)
        digest = hashlib.sha256(local.read_bytes()).hexdigest() if local.is_file() else ""
        check_part(local, digest, entry, src, where)
    return manifest.rows


def outside_restricted(root: Path) -> str:
    texts = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.relative_to(root).parts[0] not in RESTRICTED:
            text = path.read_bytes().decode("utf-8", errors="replace")
            if path.suffix == ".json":  # \u-escaped text too
                text += json.dumps(json.loads(text), ensure_ascii=False)
            texts.append(text)
    return "\n".join(texts)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(("kestrel", "users"), [("rename_to_value", 3)], [], ("none",), None)  # header echo
@example(("moonbay", "users"), [], [("drop_first_line",)], ("none",), None)  # no header row
@example(("kestrel", "orders"), [], [("duplicate_header_column", 2)], ("none",), None)
@example(("kestrel", "orders"), [("cell", 4, 13, ",")], [], ("none",), None)  # stray separator
@example(("tidewave", "events"), [("cell", 2, 9, "\x00")], [], ("split", 0.5), None)
@example(("lumen", "users"), [("duplicate_row", 3, True)], [], ("none",), None)  # latest wins
@example(("kestrel", "orders"), [], [], ("key", ".."), None)
@example(("tidewave", "orders"), [], [], ("none",), 0)  # an empty JSON Lines file
@example(("lumen", "orders"), [], [("flip", 0.0419, 200)], ("none",), None)  # not UTF-8
@given(
    delivery=st.sampled_from(DELIVERIES),
    rows_ops=st.lists(row_damage, max_size=3),
    bytes_ops=st.lists(byte_damage, max_size=2),
    manifest_edit=manifest_damage,
    kept=st.sampled_from([None, None, None, 0, 1]),
)
def test_a_damaged_delivery_ends_in_a_named_outcome(
    reference_lake, delivery, rows_ops, bytes_ops, manifest_edit, kept
):
    source_id, dataset = delivery
    src = registry_source(source_id)
    for op in [*rows_ops, *bytes_ops, manifest_edit]:
        event(f"damage: {op[0]}")
    rows = personal_rows(source_id, dataset)
    pii = sorted(personal_values(rows)) or ["nana.ouyang00@example.org"]
    damaged = damage_rows(rows[:kept], rows_ops, pii)  # kept: a delivery of 0 or 1 rows
    cut = int(manifest_edit[1] * len(damaged)) if manifest_edit[0] == "split" else len(damaged)
    pieces = [damaged[:cut], damaged[cut:]] if 0 < cut < len(damaged) else [damaged]
    parts = [(encode(source_id, dataset, p), len(p)) for p in pieces]
    data = parts[0][0]  # the damage hits the first part file
    if src.format != "parquet":
        data = damage_bytes(data, bytes_ops, src.encoding)
    elif bytes_ops and bytes_ops[0][0] in ("flip", "truncate"):
        data = damage_bytes(data, bytes_ops[:1], src.encoding)
    parts[0] = (data, parts[0][1])
    undamaged = not (rows_ops or bytes_ops) and manifest_edit[0] in ("none", "split")
    pii_all = sorted(set(pii) | personal_values([r for r in damaged if isinstance(r, dict)]))

    with tempfile.TemporaryDirectory(prefix="alliance-damage-") as work:
        root = Path(work) / "lake"
        shutil.copytree(reference_lake, root)
        mp = pytest.MonkeyPatch()
        mp.setenv("ALLIANCE_LAKE_ROOT", str(root))
        try:
            folder = deliver(root / "raw", source_id, dataset, parts, manifest_edit)
            where = f"source={source_id} dataset={dataset} dt={cases.DT}"
            try:
                delivered = ingest_checks(folder, source_id, dataset)
            except IngestionError as refused:
                message = str(refused)
                assert not undamaged, message  # a valid delivery is taken
                assert message.startswith(where), message
                assert not any(v in message for v in pii_all), message
                event("refused at ingestion")
                return
            try:
                result, message = validate_batch(source_id, dataset, cases.DT, "r", now=NOW), ""
            except ValidationFailed as failed:
                result, message = failed.result, str(failed)
                assert result.batch_rejected and result.failed_critical
                assert all(rule and rule in message for rule in result.failed_critical)
                assert where in message
            assert not (undamaged and (message or result.rows_quarantined)), message
            outcome = "rejected: " + ",".join(result.failed_critical) if message else "accepted"
            event(outcome if message or not result.rows_quarantined else "rows quarantined")
            assert result.rows_in == result.rows_passed + result.rows_quarantined
            assert result.rows_in == delivered  # ingestion and validation count alike
            assert result.rows_in >= 0 and result.rows_passed >= 0
            assert all(e.rule for e in result.quarantine)
            quarantined = Path(result.quarantine_path) / "rows.parquet"
            if result.rows_quarantined and not result.batch_rejected:
                rules = pq.read_table(quarantined).column("_rules").to_pylist()
                assert len(rules) == result.rows_quarantined and all(rules)
            text = outside_restricted(root) + message
            leaked = [v for v in pii_all if v in text]
            assert not leaked, leaked
        finally:
            mp.undo()
