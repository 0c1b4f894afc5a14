"""What the readout counts: exposed persons from their first exposure inside the experiment's
dates to the night's end; never what they did before, nor persons seen in two variants."""

from __future__ import annotations

import datetime
import hashlib

import pyarrow as pa
import pytest

from alliance_pipeline.experiments import analysis, readout
from alliance_pipeline.experiments.assignment import variant_of
from tests.unit import _experiment_world as ew

pytestmark = pytest.mark.unit

NIGHT = datetime.date(2026, 11, 20)
EXP = ew.ab(1, datetime.date(2026, 11, 10), datetime.date(2026, 11, 30))
TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def persons(n: int = 40) -> dict[str, list[str]]:
    keys = [hashlib.sha256(f"p{i}".encode()).hexdigest() for i in range(n)]
    out: dict[str, list[str]] = {"control": [], "treatment": []}
    for k in keys:
        out[variant_of(k, EXP)].append(k)
    return out


def tables(arms, extra_orders=(), extra_exposures=()):
    exposures, orders = [], []
    for variant, keys in arms.items():
        for i, k in enumerate(keys):
            exposures.append((k, EXP.id, variant, at(15, 12)))
            exposures.append((k, EXP.id, variant, at(18, 9)))  # seen again: first one counts
            for _ in range(1 + (i % 3 if variant == "treatment" else i % 2)):
                orders.append((k, at(16, 10), 1990, False))
    exposures += list(extra_exposures)
    orders += list(extra_orders)
    ex = pa.table(
        {
            "person_key": [r[0] for r in exposures],
            "experiment_id": [r[1] for r in exposures],
            "variant": [r[2] for r in exposures],
            "exposed_at": pa.array([r[3] for r in exposures], ew.UTC_US),
        }
    )
    od = pa.table(
        {
            "person_key": [r[0] for r in orders],
            "ordered_at": pa.array([r[1] for r in orders], ew.UTC_US),
            "net_fen": pa.array([r[2] for r in orders], pa.int64()),
            "refunded": [r[3] for r in orders],
        }
    )
    return ew.connect(ex, od)


def rows(con):
    sums = {s["variant"]: s for s in readout.variant_sums(con, [EXP], NIGHT)}
    return sums, analysis.readout_rows(EXP, sums, NIGHT, k=5)


def published(rs):
    drop = {"cuped_lift", "cuped_ci_low", "cuped_ci_high", "cuped_p_value", "required_persons"}
    return [{k: v for k, v in r.items() if k not in drop} for r in rs]


def test_behaviour_before_the_first_exposure_changes_nothing_but_the_covariate():
    arms = persons()
    base_sums, base = rows(tables(arms))
    before = [
        (k, when, 99_00, True)
        for k in arms["treatment"]
        for when in (at(14, 20), at(15, 11, 59), at(3, 8))  # the day before, that morning, earlier
    ]
    sums, after = rows(tables(arms, extra_orders=before))
    assert published(after) == published(base)
    # the covariate takes the pre-period's 7 days only: the order of the 3rd is out of it
    assert sums["treatment"]["sx_orders"] == base_sums["treatment"]["sx_orders"] + 2 * len(
        arms["treatment"]
    )
    assert sums["treatment"]["s_orders"] == base_sums["treatment"]["s_orders"]


def test_what_is_outside_the_experiment_or_the_night_is_left_out():
    arms = persons()
    _, base = rows(tables(arms))
    late = [(k, at(21, 1), 50_00, False) for k in arms["control"]]  # after the night
    stranger = hashlib.sha256(b"before-start").hexdigest()
    early = [(stranger, EXP.id, variant_of(stranger, EXP), at(9, 23))]  # before start_date
    _, got = rows(tables(arms, extra_orders=late, extra_exposures=early))
    assert published(got) == published(base)


def test_a_person_seen_in_two_variants_is_left_out_and_counted():
    arms = persons()
    k = arms["control"][0]
    con = tables(arms, extra_exposures=[(k, EXP.id, "treatment", at(17, 9))])
    sums, _ = rows(con)
    assert sums["control"]["persons"] == len(arms["control"]) - 1
    assert readout.mixed_persons(con, [EXP], NIGHT) == {EXP.id: 1}
    assert sums["control"]["mismatched"] == sums["treatment"]["mismatched"] == 0


def test_small_cells_are_withheld_by_the_k_rule():
    arms = persons()
    small = {"control": arms["control"], "treatment": arms["treatment"][:3]}
    _, got = rows(tables(small))
    # 3 treatment persons are below k=5: withheld, and the control with them (secondary
    # suppression: the withheld cells together must count at least k)
    assert {r["verdict"] for r in got} == {"suppressed"}
    assert all(r["persons"] is None and r["mean"] is None for r in got)
    assert all(r["suppressed_cells"] == 1 for r in got)
