"""k-threshold suppression: nothing below k is published, and totals reconcile."""

import pandas as pd
import pytest

from alliance_pipeline.privacy.min_cell import (
    SUPPRESSED,
    assert_counts_publishable,
    assert_publishable,
    at_least_k,
    below_k,
    merge_small_cells,
    suppress_small_counts,
    withhold,
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


def test_zero_and_k_or_more_are_publishable_counts():
    counts = pd.Series([0, 1, 4, 5, 9])
    assert list(below_k(counts, 5)) == [False, True, True, False, False]
    assert list(at_least_k(counts, 5)) == [False, False, False, True, True]
    assert at_least_k(5, 5) and not at_least_k(4, 5)


def test_withhold_marks_small_counts_and_the_next_smallest_until_k():
    withheld, persons = withhold(pd.Series([9, 2, 0, 6, 6], index=list("abcde")), 5)
    # 2 alone would reveal fewer than 5: the first of the two 6s goes with it
    assert list(withheld.index) == list("abcde")
    assert list(withheld) == [False, True, False, True, False]
    assert persons == 8
    withheld, persons = withhold(pd.Series([0, 7, 5]), 5)
    assert not withheld.any() and persons == 0
    withheld, persons = withhold(pd.Series([1, 3, 0]), 5)
    assert list(withheld) == [True, True, False] and persons is None


def test_small_cells_merge_into_one_cell_left_out_when_still_below_k():
    rows = [(f"a{i}", "a") for i in range(6)] + [("b0", "b"), ("b1", "b"), ("c0", "c")]
    rows += [("c0", "c"), ("d0", "d"), ("d1", "d")]
    df = pd.DataFrame(rows, columns=["person_key", "cell"])
    out, merged, left_out = merge_small_cells(df, "cell", "person_key", "rest", k=5)
    assert merged == ["b", "c", "d"] and left_out == 0
    assert out.groupby("cell")["person_key"].nunique().to_dict() == {"a": 6, "rest": 5}
    assert len(out) == len(df)
    out, merged, left_out = merge_small_cells(df, "cell", "person_key", "rest", k=6)
    assert merged == ["b", "c", "d"] and left_out == 6
    assert set(out["cell"]) == {"a"} and len(out) == 6
