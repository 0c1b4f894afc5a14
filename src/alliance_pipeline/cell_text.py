"""A column of text cells, stripped, for the readers' pattern checks, in Arrow's compute kernels.

Cells are stripped of what Python's ``str.strip`` strips and matched as ``re.match`` /
``re.search`` would match them: the readers' patterns are anchored, with ASCII classes and
literal characters only, so RE2 and ``re`` agree on them. A column that Arrow cannot hold as
UTF-8 (a lone surrogate from a JSON ``\\ud800`` escape) is checked with Python's ``str``
methods instead, cell by cell, with the same results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Every character str.strip() removes (str.isspace), as of Python 3.11's Unicode tables.
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def arrow_text(cells: pd.Series) -> pa.Array | None:
    """Text cells (str or None) as an Arrow string array; None when one is not valid UTF-8."""
    try:
        return pa.array(cells.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowException, UnicodeEncodeError):
        return None


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(values.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def has_substring(cells: pd.Series, pattern: str, text: pa.Array | None = None) -> np.ndarray:
    """Rows whose cell (str; None never) contains ``pattern`` literally; ``text``: the cells
    already made an Arrow array."""
    text = arrow_text(cells) if text is None else text
    if text is None:
        values = cells.to_numpy(dtype=object)
        return np.fromiter((isinstance(v, str) and pattern in v for v in values), bool, len(values))
    return _mask(pc.match_substring(text, pattern))


class StrippedText:
    """The stripped cells of a column (null cells as ''), matched by pattern a column at once."""

    def __init__(self, cells: pd.Series, text: pa.Array | None = None):
        self.index = cells.index
        text = arrow_text(cells) if text is None else text
        self.arrow = None
        self._series = None
        if text is None:
            self._series = cells.fillna("").astype(str).str.strip()
        else:
            self.arrow = pc.utf8_trim(text.fill_null(""), characters=PYTHON_WHITESPACE)

    @property
    def series(self) -> pd.Series:
        """The stripped cells as a pandas Series of str (what the parsers convert)."""
        if self._series is None:
            self._series = pd.Series(
                self.arrow.to_numpy(zero_copy_only=False), index=self.index, dtype=object
            )
        return self._series

    def match(self, pattern: str) -> np.ndarray:
        """``re.match(pattern, cell)`` per cell; ``pattern`` starts with ``^``."""
        if self.arrow is None:
            return self.series.str.match(pattern).to_numpy(dtype=bool)
        return _mask(pc.match_substring_regex(self.arrow, pattern))

    def contains(self, pattern: str) -> np.ndarray:
        """``re.search(pattern, cell)`` per cell."""
        if self.arrow is None:
            return self.series.str.contains(pattern).to_numpy(dtype=bool)
        return _mask(pc.match_substring_regex(self.arrow, pattern))
