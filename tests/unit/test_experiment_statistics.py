"""The readout's statistics on the generator's data: A/A experiments reject at the 5% level
about 5% of the time, a planted effect is found as often as the power calculation says, and
one experiment's interval and p-value equal an independent scipy computation."""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats as st

from alliance_pipeline.experiments import analysis, readout, stats
from alliance_pipeline.generator import GeneratorConfig
from alliance_pipeline.generator import experiments as gx
from alliance_pipeline.generator.config import source_rng
from alliance_pipeline.generator.world import build_world
from tests.unit import _experiment_world as ew

pytestmark = pytest.mark.unit

END = datetime.date(2026, 11, 23)
DAYS = 14
START = END - datetime.timedelta(days=DAYS - 1)
# no registry experiment, no planted effect: the simulations below declare their own
CFG = GeneratorConfig(
    persons=6000, days=DAYS, end_date=END, seed=11, orders_per_person_day=0.12, planted_lift=0.0
)


@pytest.fixture(scope="module")
def world():
    return build_world(CFG)


@pytest.fixture(scope="module")
def keys(world):
    return ew.platform_keys(world)


def _exposed(world, experiments, seed):
    m = world.members[world.platform_id]
    rng = np.random.default_rng([seed, 1])
    return gx.draw_exposures(rng, m, world.window, experiments, 0.5, gx.development_key())


def _primary(rows):
    return next(r for r in rows if r["metric"] == "orders_per_person" and not r["is_control"])


def _readouts(con, experiments):
    sums = readout.variant_sums(con, experiments, END)
    by_exp: dict[str, dict] = {}
    for s in sums:
        by_exp.setdefault(s["experiment_id"], {})[s["variant"]] = s
    return {e.id: analysis.readout_rows(e, by_exp[e.id], END) for e in experiments}, by_exp


def test_aa_false_positive_rate_is_five_percent(world, keys):
    n = 200
    experiments = [ew.ab(i, START, END) for i in range(n)]
    exposures = _exposed(world, experiments, 1)
    con = ew.connect(
        ew.exposures_table(world, exposures, experiments, keys),
        ew.orders_table(world.orders[world.platform_id], keys),
    )
    readouts, _ = _readouts(con, experiments)
    p = np.array([_primary(rows)["p_value"] for rows in readouts.values()])
    low, high = st.binom.ppf([0.025, 0.975], n, 0.05)
    assert low <= (p < 0.05).sum() <= high
    cuped_p = np.array([_primary(rows)["cuped_p_value"] for rows in readouts.values()])
    assert low <= (cuped_p < 0.05).sum() <= high
    # the split follows the weights: an SRM flag (p < 0.001) is rare, never a habit
    assert sum(rows[0]["srm_flag"] for rows in readouts.values()) <= 2
    assert {r["verdict"] for rows in readouts.values() for r in rows} <= {
        "control", "inconclusive", "better", "worse", "suppressed"
    }  # fmt: skip


def test_planted_effect_is_found_as_often_as_the_power_calculation_says(world, keys):
    n, lift = 120, 0.25
    base = world.orders[world.platform_id]
    members = world.members[world.platform_id].n
    exposures, orders, experiments = [], [], []
    for i in range(n):
        exp = ew.ab(1000 + i, START, END, mde=lift)
        x = _exposed(world, [exp], 100 + i)
        treated = np.zeros(members, dtype=bool)
        treated[x.member[np.array(x.variant, dtype=object) == "treatment"]] = True
        rng = source_rng(i, "platform", "planted")
        first = gx.first_exposures(x, members, 0)
        extra = gx.planted_orders(rng, base, first, treated, lift, world.window)
        prefix = f"{i}:"
        experiments.append(exp)
        exposures.append(ew.exposures_table(world, x, [exp], keys, prefix))
        orders.append(ew.orders_table(gx.with_orders(base, extra), keys, prefix))
    con = ew.connect(pa.concat_tables(exposures), pa.concat_tables(orders))
    readouts, sums = _readouts(con, experiments)
    found, power = 0, []
    for e in experiments:
        row = _primary(readouts[e.id])
        found += row["p_value"] < 0.05 and row["lift"] > 0
        c = analysis.moments(sums[e.id]["control"], "orders")
        t = analysis.moments(sums[e.id]["treatment"], "orders")
        power.append(stats.power_of(lift * c.mean, np.sqrt(c.var / c.n + t.var / t.n)))
    expected = float(np.mean(power))
    assert 0.3 < expected < 0.9  # a test of power, not of a sure thing
    low, high = st.binom.ppf([0.005, 0.995], n, expected)
    assert low <= found <= high


def test_one_experiment_matches_scipy(world, keys):
    exp = ew.ab(7, START, END)
    exposures = _exposed(world, [exp], 7)
    con = ew.connect(
        ew.exposures_table(world, exposures, [exp], keys),
        ew.orders_table(world.orders[world.platform_id], keys),
        ew.plays_table(world, keys),
        ew.recommended_table(world, keys),
    )
    readouts, _ = _readouts(con, [exp])
    persons = con.execute(readout.per_person_sql([exp])).df()
    arm = {v: persons[persons.variant == v] for v in ("control", "treatment")}
    t, c = arm["treatment"]["orders"].to_numpy(float), arm["control"]["orders"].to_numpy(float)
    welch = st.ttest_ind(t, c, equal_var=False)
    ci = welch.confidence_interval(0.95)
    row = _primary(readouts[exp.id])
    assert row["persons"] == t.size
    assert row["lift"] == pytest.approx(t.mean() - c.mean(), rel=1e-12)
    assert row["p_value"] == pytest.approx(welch.pvalue, rel=1e-9)
    assert (row["lift_ci_low"], row["lift_ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)

    plays = next(r for r in readouts[exp.id] if r["metric"] == "recommended_plays_per_person"
                 and not r["is_control"])  # fmt: skip
    t, c = (arm[v]["recommended_plays"].to_numpy(float) for v in ("treatment", "control"))
    assert t.sum() > 0
    welch = st.ttest_ind(t, c, equal_var=False)
    assert plays["p_value"] == pytest.approx(welch.pvalue, rel=1e-9)
    assert plays["lift_ci_low"] == pytest.approx(welch.confidence_interval(0.95).low, rel=1e-9)

    # ratio metric (revenue per order): the delta method from per-person arrays, in numpy
    aov = next(r for r in readouts[exp.id] if r["metric"] == "average_order_value"
               and not r["is_control"])  # fmt: skip

    def ratio_var(df):
        y, x = df["revenue_fen"].to_numpy(float), df["orders"].to_numpy(float)
        cov = np.cov(y, x, ddof=1)
        my, mx = y.mean(), x.mean()
        return (cov[0, 0] / mx**2 - 2 * my * cov[0, 1] / mx**3 + my**2 * cov[1, 1] / mx**4) / y.size

    se = np.sqrt(ratio_var(arm["treatment"]) + ratio_var(arm["control"])) / 100
    diff = (
        arm["treatment"]["revenue_fen"].sum() / arm["treatment"]["orders"].sum()
        - arm["control"]["revenue_fen"].sum() / arm["control"]["orders"].sum()
    ) / 100
    assert aov["lift"] == pytest.approx(diff, rel=1e-9)
    assert aov["p_value"] == pytest.approx(2 * st.norm.sf(abs(diff / se)), rel=1e-6)
    assert aov["lift_ci_high"] - aov["lift_ci_low"] == pytest.approx(
        2 * st.norm.ppf(0.975) * se, rel=1e-6
    )


def test_cuped_matches_regression_adjustment(world, keys):
    """CUPED's lift equals the treatment coefficient of y ~ treatment + (x - mean x) fitted with
    a pooled slope (theta): the classic identity, checked with numpy least squares."""
    exp = ew.ab(8, START, END)
    exposures = _exposed(world, [exp], 8)
    con = ew.connect(
        ew.exposures_table(world, exposures, [exp], keys),
        ew.orders_table(world.orders[world.platform_id], keys),
    )
    readouts, _ = _readouts(con, [exp])
    persons = con.execute(readout.per_person_sql([exp])).df()
    treat = (persons.variant == "treatment").to_numpy(float)
    y, x = persons["orders"].to_numpy(float), persons["pre_orders"].to_numpy(float)
    xc = x - np.where(treat == 1, x[treat == 1].mean(), x[treat == 0].mean())
    theta = (xc @ (y - np.where(treat == 1, y[treat == 1].mean(), y[treat == 0].mean()))) / (
        xc @ xc
    )
    expected = (y[treat == 1].mean() - y[treat == 0].mean()) - theta * (
        x[treat == 1].mean() - x[treat == 0].mean()
    )
    assert x.sum() > 0  # the pre-exposure period holds orders: CUPED has something to use
    assert _primary(readouts[exp.id])["cuped_lift"] == pytest.approx(expected, rel=1e-9)


def test_required_persons_give_the_declared_power():
    mean, var, mde = 0.4, 0.9, 0.08
    n = stats.required_persons(mean, var, mde, 0.05, 0.8)
    assert stats.power_of(mde * mean, np.sqrt(2 * var / n)) == pytest.approx(0.8, abs=0.002)
