"""Validation's memory is bounded by its chunk, not by the delivery's size.

Each delivery is validated in a process of its own (after the GX context and a first delivery
are warm), which reports the peak of its Python heap (tracemalloc: pandas and numpy included)
while it validated, plus how far Arrow's memory pool rose past its high-water mark of the warm
delivery. A delivery three times larger, in chunks of the same size, peaks no higher; the same
larger delivery read as one chunk shows that the measure sees a delivery held whole.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.bad_inputs import cases

pytestmark = [pytest.mark.unit, pytest.mark.timeout(600)]

CHUNK = 500
MB = 1 << 20
PROBE = """
import json, sys, tracemalloc
import pyarrow as pa
from datetime import UTC, datetime
from alliance_pipeline.config import pipeline_config
from alliance_pipeline.validation import ValidationFailed, validate_batch

now = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
policy = pipeline_config().validation.override(chunk_rows=int(sys.argv[1]))
validate_batch("kestrel", "orders", "2026-11-23", "warm", now=now, policy=policy)
pool = pa.default_memory_pool()
tracemalloc.start()
arrow_before = pool.max_memory()
try:
    result = validate_batch("moonbay", "orders", "2026-11-23", "probe", now=now, policy=policy)
except ValidationFailed as failed:
    result = failed.result
print(json.dumps({
    "rows": result.rows_in,
    "passed": result.rows_passed,
    "python": tracemalloc.get_traced_memory()[1],
    "arrow": pool.max_memory() - arrow_before,
}))
"""


def orders(src: str, n: int) -> list[dict]:
    rows = cases.orders(src) * (n // cases.N)
    return [r | {"order_id": f"{src}-o{i:07d}"} for i, r in enumerate(rows)]


def peak(lake: Path, rows: int, chunk_rows: int) -> dict:
    """Validate ``rows`` moonbay orders in chunks of ``chunk_rows``; the process's peaks."""
    raw = lake / "raw"
    shutil.rmtree(raw / "moonbay" / "orders", ignore_errors=True)
    data = cases.encode("moonbay", orders("moonbay", rows))
    cases.stage_bytes(raw, "moonbay", "orders", data, rows)
    env = os.environ | {"ALLIANCE_LAKE_ROOT": str(lake)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(chunk_rows)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert (figures["rows"], figures["passed"]) == (rows, rows)
    return figures | {"total": figures["python"] + figures["arrow"]}


def test_a_larger_delivery_peaks_no_higher_in_chunks(reference_lake, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(reference_lake, lake)
    warm = cases.csv_bytes(orders("kestrel", 2 * CHUNK))
    cases.stage_bytes(lake / "raw", "kestrel", "orders", warm, 2 * CHUNK)

    small = peak(lake, 4 * CHUNK, CHUNK)
    large = peak(lake, 12 * CHUNK, CHUNK)
    whole = peak(lake, 12 * CHUNK, 12 * CHUNK)

    assert large["total"] <= small["total"] * 1.25 + 2 * MB, (small, large)
    assert whole["total"] > 2 * large["total"], (large, whole)
