"""part_files: a file read block by block and chunk by chunk reads as the whole file does."""

import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance_pipeline import part_files
from alliance_pipeline.part_files import FileProblem, file_frames

pytestmark = pytest.mark.unit


def frames(data: bytes, fmt: str, encoding: str, chunk_rows: int) -> list[pd.DataFrame]:
    return list(file_frames(lambda: io.BytesIO(data), fmt, encoding, chunk_rows))


def whole_decode_error(data: bytes, codec: str) -> int:
    with pytest.raises(UnicodeDecodeError) as info:
        data.decode(codec)
    return info.value.start


@pytest.mark.parametrize("block", [4, 5, 7, 64])
@pytest.mark.parametrize(
    ("data", "encoding", "codec"),
    [
        ("a,b\n北京,1\n上海,2\n".encode() + b"\xff,3\n", "utf-8", "utf-8-sig"),
        (b"\xef\xbb\xbf" + "a,b\n北京,1\n上海,2\n".encode() + b"\xff,3\n", "utf-8", "utf-8-sig"),
        ("a,b\n北京,1\n上海,2\n".encode() + b"\xe5\x8c", "utf-8", "utf-8-sig"),  # cut at the end
        ("a,b\n北京,1\n上海,2\n".encode("gbk") + b"\x81\x20,3\n", "gbk", "gb18030"),
    ],
)
def test_an_encoding_error_names_the_byte_a_whole_decode_names(
    data, encoding, codec, block, monkeypatch
):
    monkeypatch.setattr(part_files, "BLOCK_BYTES", block)
    with pytest.raises(FileProblem) as info:
        frames(data, "csv", encoding, 2)
    at = whole_decode_error(data, codec)
    assert info.value.detail == f"not valid {codec.removesuffix('-sig').upper()} at byte {at}"


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100])
def test_csv_in_chunks_reads_as_one_frame(chunk_rows, monkeypatch):
    monkeypatch.setattr(part_files, "BLOCK_BYTES", 5)
    text = 'id,note\r\n1,"two\nlines"\r\n\r\n2,\r\n3,cut,extra\r\n4\r\n5,"深圳"\r\n'
    data = text.encode("gbk")
    parts = frames(data, "csv", "gbk", chunk_rows)
    assert all(len(p) <= chunk_rows for p in parts)
    joined = pd.concat(parts, ignore_index=True)
    assert joined["note"].tolist() == ["two\nlines", None, "cut", None, "深圳"]
    assert joined["_cut"].eq(True).tolist() == [False, False, True, True, False]


def test_jsonl_in_chunks_reads_as_one_frame_with_line_numbers_of_the_whole(monkeypatch):
    monkeypatch.setattr(part_files, "BLOCK_BYTES", 4)
    data = b'{"a": 1}\n\n{"b": "x"}\r\n{"a": null}\n'
    parts = frames(data, "jsonl", "utf-8", 1)
    assert [p.columns.tolist() for p in parts] == [["a"], ["b"], ["a"]]
    broken = '{"a": 1}\n\n{"a": "2\u2028\x85"}\nnot json\n'.encode()
    with pytest.raises(FileProblem, match="line 4 is not JSON"):
        frames(broken, "jsonl", "utf-8", 1)


def test_a_jsonl_string_may_hold_unicode_line_separators():
    """JSON allows U+2028, U+0085 and the like raw inside a string; only \\n, \\r end a line."""
    data = '{"a": "x\u2028y"}\n{"a": "p\x85qr"}\n'.encode()
    joined = pd.concat(frames(data, "jsonl", "utf-8", 10), ignore_index=True)
    assert joined["a"].tolist() == ["x\u2028y", "p\x85qr"]
    assert part_files.count_records(lambda: io.BytesIO(data), "jsonl", "utf-8") == 2


@settings(max_examples=600, deadline=None)
@given(
    text=st.text(alphabet='a,"\n\r \x00北', max_size=40),
    block=st.sampled_from([1, 2, 3, 5, 64]),
    encoding=st.sampled_from(["utf-8", "gbk"]),
    bom=st.booleans(),
)
def test_a_csv_counts_as_many_rows_as_it_reads(text, block, encoding, bom):
    """The count on bytes (or, at a quote it cannot read, the csv module's) gives what
    csv_records gives, whatever the blocks the file is read in."""
    data = (b"\xef\xbb\xbf" if bom and encoding == "utf-8" else b"") + text.encode(encoding)

    def outcome(count):
        try:
            return count()
        except FileProblem as problem:
            return problem.rule

    def opener():
        return io.BytesIO(data)

    records = outcome(lambda: sum(1 for _ in part_files.csv_records(opener, encoding)))
    read = records - 1 if records else "file_empty"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(part_files, "BLOCK_BYTES", block)
        assert outcome(lambda: part_files.count_records(opener, "csv", encoding)) == read


@pytest.mark.parametrize(
    ("text", "by_bytes"),
    [
        ('"id","note"\r\n"1","two\nlines, ""quoted"""\r\n\r\n2,\r\n', True),
        ('id,note\n1,say "hi"\n2,x\n', False),  # a quote inside an unquoted field
        ('id,note\n1,"open\n', False),  # a quoted field open at the end
    ],
)
def test_the_byte_count_reads_quoted_fields_and_leaves_stray_quotes_to_csv(text, by_bytes):
    from alliance_pipeline.csv_count import count_csv

    data = text.encode()
    rows = sum(1 for _ in part_files.csv_records(lambda: io.BytesIO(data), "utf-8"))
    assert count_csv(lambda: io.BytesIO(data), "utf-8-sig", 4) == (rows if by_bytes else None)
