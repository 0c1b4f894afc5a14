"""Partner files as the worst partners send them, through the real reader, ingestion row count
and validation gate: each ends in an accept, quarantined rows or a rejected batch naming its
rule, every row accounted for, and no delivered personal value outside the restricted zones."""

import io
import json

import pyarrow.parquet as pq
import pytest

from alliance_pipeline.ingestion import IngestionError, count_rows
from alliance_pipeline.lake.paths import quarantine_partition, validated_partition
from alliance_pipeline.manifest import MANIFEST_NAME, Manifest, ManifestFile, sha256_bytes
from alliance_pipeline.part_files import FileProblem, file_frames
from alliance_pipeline.registry import source as registry_source
from alliance_pipeline.validation import ValidationFailed, validate_batch
from alliance_pipeline.validation.docs import build_data_docs
from tests.fixtures.bad_inputs import cases
from tests.fixtures.bad_inputs.lake import NOW

pytestmark = pytest.mark.unit

RESTRICTED = ("raw", "quarantine", "validated", "identity")


def stage_files(raw_root, source_id, dataset, parts: list[bytes], rows: list[int]):
    src = registry_source(source_id)
    folder = raw_root / source_id / dataset / f"dt={cases.DT}"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, data in enumerate(parts):
        name = f"part-{i:05d}.{src.format}"
        (folder / name).write_bytes(data)
        files.append(
            ManifestFile(src.landing_key(dataset, cases.DT, name), rows[i], sha256_bytes(data))
        )
    manifest = Manifest(source_id, dataset, cases.DT, 1, tuple(files))
    (folder / MANIFEST_NAME).write_text(manifest.to_json())
    return folder


def run(source_id, dataset):
    """validate_batch's result and, when rejected, its message."""
    try:
        return validate_batch(source_id, dataset, cases.DT, "run-1", now=NOW), None
    except ValidationFailed as failed:
        return failed.result, str(failed)


def outside_restricted(root) -> str:
    """Every file of the lake outside the restricted zones, as text (data docs built first)."""
    build_data_docs(cases.DT)
    texts = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.relative_to(root).parts[0] not in RESTRICTED:
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(texts)


def test_a_users_file_without_header_is_refused_and_its_first_person_is_echoed_nowhere(
    lake_with_refs,
):
    case = cases.stage(cases.HERE / "headerless_users", lake_with_refs / "raw")
    first = cases.users("moonbay")[0]
    result, message = run(case["source"], case["dataset"])
    assert result.failed_critical == ["header_missing"] and result.rows_in == cases.N
    assert result.rows_in == result.rows_passed + result.rows_quarantined
    for value in (first["full_name"], first["mobile"], first["email"]):
        assert value not in message
        assert value not in json.dumps([e.__dict__ for e in result.expectations], default=str)
        assert value not in outside_restricted(lake_with_refs)


def test_extra_column_names_are_reported_by_position_never_by_name(lake_with_refs):
    """A column name may be a person's value (a header row half data): GX results, dq results
    and data docs never carry it."""
    rows = [{**r, "13912345678": "x", "张三丰": ""} for r in cases.users("kestrel")]
    stage_files(lake_with_refs / "raw", "kestrel", "users", [cases.csv_bytes(rows)], [cases.N])
    result, message = run("kestrel", "users")
    assert message is None
    extra = next(e for e in result.expectations if e.expectation == "extra_columns")
    assert extra.observed_value == "2 column(s) not in the contract, at position(s) 13, 14"
    text = outside_restricted(lake_with_refs)
    assert result.data_docs_path and "13912345678" not in text and "张三丰" not in text


def test_a_header_with_a_column_twice_is_a_refused_file_in_every_format(tmp_path):
    data = b"a,b,a\n1,2,3\n"
    with pytest.raises(FileProblem, match="columns 1 and 3 of the header have one name"):
        list(file_frames(lambda: io.BytesIO(data), "csv", "utf-8", 10))
    import pyarrow as pa

    buf = io.BytesIO()
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    pq.write_table(table, buf)
    with pytest.raises(FileProblem) as info:
        list(file_frames(lambda: io.BytesIO(buf.getvalue()), "parquet", "utf-8", 10))
    assert info.value.rule == "duplicate_column"


def test_parquet_text_that_is_not_utf8_is_an_encoding_problem_not_a_crash():
    """Found by the damage harness: a flipped byte in a string page escaped as
    UnicodeDecodeError (Arrow does not check UTF-8 when it reads)."""
    import pyarrow as pa

    from alliance_pipeline.part_files import count_records

    buf = io.BytesIO()
    pq.write_table(pa.table({"a": pa.array([b"\xc8x"], pa.binary()).view(pa.string())}), buf)
    data = buf.getvalue()
    with pytest.raises(FileProblem) as info:
        list(file_frames(lambda: io.BytesIO(data), "parquet", "utf-8", 10))
    assert info.value.rule == "encoding"
    assert count_records(lambda: io.BytesIO(data), "parquet", "utf-8") == 1


def test_part_files_are_each_held_to_the_contract(lake_with_refs):
    rows = cases.orders("kestrel")
    full = cases.csv_bytes(rows[:20])
    short = cases.csv_bytes([{k: v for k, v in r.items() if k != "currency"} for r in rows[20:]])
    stage_files(lake_with_refs / "raw", "kestrel", "orders", [full, short], [20, 20])
    result, message = run("kestrel", "orders")
    assert "columns_present" in result.failed_critical
    assert "missing: currency (part-00001.csv)" in message
    assert result.rows_quarantined == result.rows_in == 40
    assert not validated_partition("kestrel", "orders", cases.DT).exists()


def test_a_batch_rejected_by_its_bad_row_share_names_the_rules_behind_it(lake_with_refs):
    rows = cases.orders("kestrel")
    for r in rows:
        r["updated_at"] = r["updated_at"].removesuffix("+08:00")  # no offset: every row
    stage_files(lake_with_refs / "raw", "kestrel", "orders", [cases.csv_bytes(rows)], [cases.N])
    result, message = run("kestrel", "orders")
    assert result.failed_critical == ["bad_row_share"]
    assert f"mainly type_timestamp:updated_at ({cases.N} rows)" in message
    index = {e.rule for e in result.quarantine}
    assert index == {"bad_row_share"}


def test_a_field_of_megabytes_is_a_cell_like_any_other(lake_with_refs):
    rows = cases.events("moonbay")
    rows[5]["comment"] = "长" * (5 * 1024 * 1024 // 2)
    data = cases.csv_bytes(rows, "gbk")
    folder = stage_files(lake_with_refs / "raw", "moonbay", "events", [data], [cases.N])
    assert count_rows(folder / "part-00000.csv", registry_source("moonbay"), "here") == cases.N
    result, message = run("moonbay", "events")
    assert message is None and result.rows_in == result.rows_passed + result.rows_quarantined
    comments = pq.read_table(validated_partition("moonbay", "events", cases.DT)).column("comment")
    assert max(len(c or "") for c in comments.to_pylist()) == len(rows[5]["comment"])


@pytest.mark.parametrize(
    ("case", "rows"),
    [
        ("extra_unquoted_comma_in_a_line", cases.N),  # was ArrowInvalid: the line is a row
        ("gb18030_name_in_gbk_source", cases.N),  # was a decode error: GBK read as GB18030
        ("duplicate_header_column", cases.N),
    ],
)
def test_ingestion_counts_rows_as_validation_reads_them(case, rows):
    body = json.loads((cases.HERE / case / "case.json").read_text())
    part = next((cases.HERE / case).glob("part-*"))
    assert count_rows(part, registry_source(body["source"]), "here") == rows


@pytest.mark.parametrize("source_id", ["kestrel", "lumen"])
def test_ingestion_says_a_0_byte_file_is_empty(tmp_path, source_id):
    empty = tmp_path / "part-00000.x"
    empty.write_bytes(b"")
    with pytest.raises(IngestionError, match=r"here: part-00000.x is empty \(0 bytes\)"):
        count_rows(empty, registry_source(source_id), "here")


def test_a_0_byte_json_lines_file_is_a_delivery_of_no_records(tmp_path):
    empty = tmp_path / "part-00000.jsonl"
    empty.write_bytes(b"")
    assert count_rows(empty, registry_source("tidewave"), "here") == 0


def test_quarantined_nul_characters_never_reach_the_validated_zone(lake_with_refs):
    case = cases.stage(cases.HERE / "nul_character_in_a_field", lake_with_refs / "raw")
    result, _ = run(case["source"], case["dataset"])
    validated = pq.read_table(validated_partition("tidewave", "events", cases.DT))
    assert not any("\x00" in (c or "") for c in validated.column("comment").to_pylist())
    bad = pq.read_table(quarantine_partition("tidewave", "events", cases.DT) / "rows.parquet")
    assert bad.column("_rules").to_pylist() == ["nul_character:comment"]
    assert result.rows_in == result.rows_passed + result.rows_quarantined


def test_the_latest_version_of_a_redelivered_user_passes(lake_with_refs):
    case = cases.stage(cases.HERE / "redelivered_user_latest_wins", lake_with_refs / "raw")
    result, message = run(case["source"], case["dataset"])
    assert message is None
    passed = pq.read_table(validated_partition("moonbay", "users", cases.DT)).to_pylist()
    kept = [r for r in passed if r["source_user_id"] == "moonbay-u000"]
    assert len(kept) == 1 and kept[0]["full_name"] == "张1"  # row 1, the later updated_at
    assert result.rows_in == result.rows_passed + result.rows_quarantined
