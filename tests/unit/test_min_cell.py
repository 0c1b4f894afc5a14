"""k-threshold suppression: nothing below k is published, and totals reconcile."""

import pandas as pd
import pytest

from alliance_pipeline.privacy.min_cell import (
    SUPPRESSED,
    assert_counts_publishable,
    assert_publishable,
    suppress_small_counts,
)
from alliance_pipeline.privacy.publish import partner_overlap

pytestmark = pytest.mark.unit


def _cells(counts):
    return pd.DataFrame({"a": list("abcdefgh"[: len(counts)]), "persons": counts})


def test_small_cells_fold_into_a_reconciling_summary():
    df = _cells([12, 3, 0, 4, 7])
    out = suppress_small_counts(df, "persons", ["a"], k=5)
    assert out["persons"].sum() == df["persons"].sum()
    assert list(out["a"]) == ["a", "c", "e", SUPPRESSED]
    assert out.iloc[-1]["persons"] == 7 and out.iloc[-1]["suppressed_cells"] == 2
    assert_counts_publishable(out, "persons", "t", k=5)


def test_summary_below_k_takes_the_next_smallest_cell():
    out = suppress_small_counts(_cells([2, 9, 6]), "persons", ["a"], k=5)
    assert list(out["a"]) == ["b", SUPPRESSED]
    assert list(out["persons"]) == [9, 8]
    assert out["persons"].sum() == 17
    assert_counts_publishable(out, "persons", "t", k=5)


def test_all_cells_below_k_publish_no_count():
    out = suppress_small_counts(_cells([1, 2]), "persons", ["a"], k=5)
    assert list(out["a"]) == [SUPPRESSED]
    assert out["persons"].isna().all() and out.iloc[0]["suppressed_cells"] == 2
    assert_counts_publishable(out, "persons", "t", k=5)


def test_nothing_to_suppress_adds_no_summary():
    out = suppress_small_counts(_cells([5, 6]), "persons", ["a"], k=5)
    assert list(out["persons"]) == [5, 6] and (out["suppressed_cells"] == 0).all()


def test_checks_refuse_small_cells():
    with pytest.raises(ValueError, match="fewer than k=5"):
        assert_counts_publishable(_cells([4, 9]), "persons", "mart.x", k=5)
    persons = pd.DataFrame({"cell": ["x"] * 4 + ["y"] * 5, "person_key": list("abcdefghi")})
    with pytest.raises(ValueError, match=r"mart\.y: 1 cell"):
        assert_publishable(persons, ["cell"], "person_key", "mart.y", k=5)


def test_partner_overlap_counts_every_pair_and_suppresses():
    sources = ["p;m"] * 6 + ["p;m;t"] * 2 + ["p;t"] * 1 + ["p"] * 10 + ["m;t"] * 1 + ["x"]
    out = partner_overlap(pd.Series(sources), k=5)
    rows = {(r.source_a, r.source_b): (r.persons, r.suppressed_cells) for r in out.itertuples()}
    # true pair counts: m-p 8, p-t 3, m-t 3, and 0 for every pair with x
    assert rows["m", "p"] == (8, 0)
    assert rows["m", "x"] == (0, 0)
    assert rows[SUPPRESSED, SUPPRESSED] == (6, 2)
    assert out["persons"].sum() == 8 + 3 + 3
