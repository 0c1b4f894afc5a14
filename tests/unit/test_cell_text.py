"""The readers' checks in Arrow's kernels read every cell as Python's str methods and pandas do.

A column holding one cell Arrow cannot encode (a lone surrogate, as a JSON escape can make) is
read with Python's ``str`` methods, ``re`` and pandas' parsers instead: the same cells read once
with that cell appended and once without must give the same values and the same rules.
"""

import sys

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_pipeline.cell_text import PYTHON_WHITESPACE, arrow_text
from alliance_pipeline.readers import parse_column

pytestmark = pytest.mark.unit

SURROGATE = "\ud800"  # no UTF-8 encoding: the whole column is read the Python way
SPACES = PYTHON_WHITESPACE + "\u200b\ufeff"  # and two that str.strip keeps
TEXT = st.text(alphabet="0123456789+-.eE:TZ xX\u00a0\uff11\uff0b" + SPACES, max_size=12)


@st.composite
def timestamps(draw):
    """Near-valid ISO timestamps: fields at and past their ranges, years at the edges of ns."""
    year = draw(st.sampled_from([1, 1677, 1678, 1969, 2026, 2261, 2262, 9999]))
    fields = [draw(st.integers(0, n)) for n in (13, 32, 25, 61, 61)]
    month, day, hour, minute, second = fields
    text = f"{year:04d}-{month:02d}-{day:02d}{draw(st.sampled_from('T '))}{hour:02d}:{minute:02d}"
    if draw(st.booleans()):
        text += f":{second:02d}" + draw(st.sampled_from(["", ".5", ".123456789", ".1234567891"]))
    offset_h, offset_m = draw(st.integers(0, 25)), draw(st.integers(0, 61))
    sep = draw(st.sampled_from([":", ""]))
    text += draw(st.sampled_from(["Z", f"+{offset_h:02d}{sep}{offset_m:02d}", "-00:00"]))
    pad = draw(st.sampled_from(["", " ", "\u3000", "\t"]))
    return pad + text + pad


def cells_of(dtype):
    if dtype == "timestamp":
        return st.lists(st.one_of(timestamps(), TEXT, st.none()), max_size=20)
    numbers = st.from_regex(r"\A[+-]?[0-9]{1,18}(\.[0-9]{1,7})?\Z")
    return st.lists(st.one_of(numbers, TEXT, st.none()), max_size=20)


def read_both(cells: list, dtype: str):
    fast_values, fast_bad = parse_column(pd.Series(cells, dtype=object), dtype)
    slow_values, slow_bad = parse_column(pd.Series([*cells, SURROGATE], dtype=object), dtype)
    return (fast_values, fast_bad), (
        slow_values.iloc[:-1],
        {k: m[:-1] for k, m in slow_bad.items()},
    )


def test_the_whitespace_stripped_is_what_str_strip_strips():
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert every == PYTHON_WHITESPACE
    assert arrow_text(pd.Series(["a", SURROGATE])) is None


@settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    dtype=st.sampled_from(["int", "money", "rate", "float", "date", "timestamp", "bool"]),
    data=st.data(),
)
def test_arrow_and_python_read_a_column_alike(dtype, data):
    cells = data.draw(cells_of(dtype))
    (fast_values, fast_bad), (slow_values, slow_bad) = read_both(cells, dtype)
    assert fast_bad.keys() == slow_bad.keys()
    for rule in fast_bad:
        assert fast_bad[rule].tolist() == slow_bad[rule].tolist(), rule
    assert fast_values.dtype == slow_values.dtype
    assert fast_values.isna().tolist() == slow_values.isna().tolist()
    present = fast_values.notna().to_numpy()
    assert fast_values[present].tolist() == slow_values[present].tolist()


def test_edge_cells_read_alike():
    cases = {
        "int": ["+5", "007", "-0", " 12\u3000", "１２", "1e5", "99999999999999999"],
        "money": ["+5", "1.5", "-0.00", "1234567890123456.99", "1.234", "1.38001E+10"],
        "timestamp": [
            "2026-11-23T21:05:00+08:00",
            "2026-11-23 21:05+0800",
            "2026-02-29T21:05:00+08:00",
            "2026-11-23T21:05:60Z",
            "2026-11-23T21:05:00+24:00",
            "2262-04-11T23:47:16.854775808Z",
            "1677-09-21T00:12:43Z",
            "\u00a02026-11-23T21:05:00.123456789Z ",
        ],
    }
    for dtype, cells in cases.items():
        (fast_values, fast_bad), (slow_values, slow_bad) = read_both(cells, dtype)
        for rule in fast_bad:
            assert fast_bad[rule].tolist() == slow_bad[rule].tolist(), (dtype, rule)
        assert fast_values.astype(object).where(fast_values.notna(), None).tolist() == (
            slow_values.astype(object).where(slow_values.notna(), None).tolist()
        ), dtype
