"""readers: encodings, formats, strict parsing into the contract's types."""

import io
import json
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliance_pipeline.contracts import dataset
from alliance_pipeline.part_files import FileProblem
from alliance_pipeline.readers import (
    parse_column,
    read_file,
    to_arrow,
    to_contract_types,
)

pytestmark = pytest.mark.unit


def test_csv_utf8_with_and_without_bom_read_the_same():
    data = "a,b\n北京,1\n".encode()
    plain, bom = read_file(data, "csv", "utf-8"), read_file(b"\xef\xbb\xbf" + data, "csv", "utf-8")
    assert list(bom.columns) == ["a", "b"] and bom.equals(plain)
    assert plain.iloc[0].tolist() == ["北京", "1"]


def test_gbk_csv_is_decoded_and_utf8_in_a_gbk_source_is_refused():
    data = "city,n\n深圳,1\n"
    assert read_file(data.encode("gbk"), "csv", "gbk").iloc[0, 0] == "深圳"
    with pytest.raises(FileProblem) as info:
        read_file(data.encode("utf-8"), "csv", "gbk")
    assert info.value.rule == "encoding"


def test_gbk_bytes_in_a_utf8_source_are_refused():
    with pytest.raises(FileProblem) as info:
        read_file("city\n深圳\n".encode("gbk"), "csv", "utf-8")
    assert info.value.rule == "encoding"


def test_empty_cells_are_null_and_a_cut_line_is_flagged():
    frame = read_file(b"a,b,c\n1,,3\n4,5\n", "csv", "utf-8")
    assert frame[["a", "b", "c"]].iloc[0].tolist() == ["1", None, "3"]
    assert frame["_cut"].tolist() == [False, True]


def test_jsonl_and_parquet_values_become_text():
    jl = read_file(b'{"a": 1, "b": true, "c": null}\n\n{"a": 2}\n{"a": null}\n', "jsonl", "utf-8")
    assert jl["a"].tolist() == ["1", "2", None]  # ints stay ints beside a null
    assert jl["b"].tolist() == ["true", None, None]
    assert read_file(b"", "jsonl", "utf-8").empty  # no record: an empty delivery
    buf = io.BytesIO()
    pq.write_table(pa.table({"m": pa.array([Decimal("1.50")], pa.decimal128(18, 2))}), buf)
    assert read_file(buf.getvalue(), "parquet", "utf-8")["m"].tolist() == ["1.50"]
    with pytest.raises(FileProblem):
        read_file(b"{not json\n", "jsonl", "utf-8")


@pytest.mark.parametrize(
    ("dtype", "text", "rule"),
    [
        ("int", "1.38001E+10", "excel_scientific_notation"),
        ("int", "１２", "fullwidth_digits"),
        ("int", "1.5", "type_int"),
        ("money", "1.234", "type_money"),
        ("money", "1E+3", "excel_scientific_notation"),
        ("timestamp", "2026-11-23 10:00:00", "type_timestamp"),  # no offset: not guessed
        ("date", "23/11/2026", "type_date"),
        ("bool", "yes", "type_bool"),
        ("json", "{bad", "type_json"),
    ],
)
def test_bad_cells_are_reported_not_guessed(dtype, text, rule):
    values, bad = parse_column(pd.Series([text, None]), dtype)
    assert bad[rule].tolist() == [True, False]
    assert values.isna().all()


def test_good_cells_take_the_contract_types():
    cases = {
        "int": ("42", 42),
        "money": ("199.00", Decimal("199.00")),
        "rate": ("7.123456", Decimal("7.123456")),
        "float": ("12.5", 12.5),
        "bool": ("TRUE", True),
        "timestamp": ("2026-11-23T21:05:00+08:00", pd.Timestamp("2026-11-23T13:05:00Z")),
        "date": ("2026-11-23", pd.Timestamp("2026-11-23")),
        "json": ('[{"from": "0.00"}]', '[{"from": "0.00"}]'),
    }
    for dtype, (text, expected) in cases.items():
        values, bad = parse_column(pd.Series([text]), dtype)
        assert values.iloc[0] == expected, dtype
        assert not any(m.any() for m in bad.values()), dtype


@pytest.mark.parametrize(
    "dtype", ["int", "money", "rate", "float", "bool", "timestamp", "date", "json", "string"]
)
def test_an_empty_column_parses(dtype):  # a header-only delivery (no new contracts tonight)
    values, bad = parse_column(pd.Series([], dtype=object), dtype)
    assert len(values) == 0 and all(len(m) == 0 for m in bad.values())


def test_to_arrow_writes_the_lake_types_and_keeps_extra_columns():
    dt = dataset("orders")
    raw = pd.DataFrame([{c: None for c in dt.column_names} | {"amount": "9.90", "coupon": "X"}])
    typed, failures = to_contract_types(raw.astype(object), dt)
    table = to_arrow(typed, dt, ["coupon"])
    assert table.schema.field("amount").type == pa.decimal128(18, 2)
    assert table.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("quantity").type == pa.int64()
    assert table.column("coupon").to_pylist() == ["X"] and not failures
    assert json.loads(json.dumps(table.column("amount").to_pylist(), default=str)) == ["9.90"]
