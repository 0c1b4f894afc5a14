"""Validated and quarantine partitions are swapped in whole: a failed write keeps the last one."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliance_pipeline.validation.quarantine import ValidatedOutput

pytestmark = pytest.mark.unit

DT = "2026-11-23"
SCHEMA = pa.schema([pa.field("order_id", pa.string())])


def write_validated(*chunks: list[str]):
    out = ValidatedOutput("moonbay", "orders", DT, SCHEMA)
    try:
        for ids in chunks:
            out.write(pa.table({"order_id": ids}, schema=SCHEMA))
    except BaseException:
        out.discard()
        raise
    return out.commit()


def test_a_failed_write_keeps_the_previous_partition(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(tmp_path))
    path = write_validated(["o1"], ["o2"])
    before = pq.read_table(path)
    assert before.column("order_id").to_pylist() == ["o1", "o2"]

    def half_written(self, table, *_):
        self.file_handle.write(b"PAR1 torn")
        raise OSError("disk full")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", half_written)
    with pytest.raises(OSError, match="disk full"):
        write_validated(["o3"])
    assert pq.read_table(path).equals(before)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    monkeypatch.undo()
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(tmp_path))
    write_validated(["o3"])
    assert pq.read_table(path).column("order_id").to_pylist() == ["o3"]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
