"""Validation's memory is bounded by its chunk, not by the delivery's size.

The deliveries are validated one after another in a process of their own (the first warms the
GX context), which reports for each the peak of its Python heap (tracemalloc: pandas and numpy
included) while it validated, plus how far Arrow's memory pool rose past its earlier mark. A delivery three times larger, in chunks of the same size, peaks no higher; the same
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
import json, shutil, sys, tracemalloc
from datetime import UTC, datetime
from pathlib import Path
import pyarrow as pa
from alliance_pipeline.config import pipeline_config
from alliance_pipeline.validation import validate_batch
from tests.fixtures.bad_inputs import cases
from tests.unit.test_validation_memory import orders

now = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
raw = Path(sys.argv[1]) / "raw"
pool, out = pa.default_memory_pool(), []
for rows, chunk_rows in json.loads(sys.argv[2]):
    shutil.rmtree(raw / "moonbay" / "orders", ignore_errors=True)
    data = cases.encode("moonbay", orders("moonbay", rows))
    cases.stage_bytes(raw, "moonbay", "orders", data, rows)
    policy = pipeline_config().validation.override(chunk_rows=chunk_rows)
    arrow_before = pool.max_memory()
    tracemalloc.start()
    result = validate_batch("moonbay", "orders", "2026-11-23", "probe", now=now, policy=policy)
    python = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out.append({
        "rows": result.rows_in,
        "passed": result.rows_passed,
        "total": python + pool.max_memory() - arrow_before,
    })
print(json.dumps(out))
"""


def orders(src: str, n: int) -> list[dict]:
    rows = cases.orders(src) * (n // cases.N)
    return [r | {"order_id": f"{src}-o{i:07d}"} for i, r in enumerate(rows)]


def peaks(lake: Path, runs: list[tuple[int, int]]) -> list[dict]:
    """Validate moonbay orders of ``rows`` in chunks of ``chunk_rows`` for each run, in one
    process, in order; each run's peak (Python heap, and Arrow's pool past its earlier mark)."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(lake), json.dumps(runs)],
        env=os.environ | {"ALLIANCE_LAKE_ROOT": str(lake)},
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    for (rows, _), f in zip(runs, figures, strict=True):
        assert (f["rows"], f["passed"]) == (rows, rows)
    return figures


def test_a_larger_delivery_peaks_no_higher_in_chunks(reference_lake, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(reference_lake, lake)
    _warm, small, large, whole = peaks(
        lake,
        [(2 * CHUNK, CHUNK), (4 * CHUNK, CHUNK), (12 * CHUNK, CHUNK), (12 * CHUNK, 12 * CHUNK)],
    )

    assert large["total"] <= small["total"] * 1.25 + 2 * MB, (small, large)
    assert whole["total"] > 2 * large["total"], (large, whole)
