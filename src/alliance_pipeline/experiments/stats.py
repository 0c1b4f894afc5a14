"""The statistics of a fixed-horizon A/B readout, from per-variant sums only.

Everything here takes what the readout SQL aggregates per variant (persons ``n`` and the sums
of each per-person column, of its square, of its pre-exposure twin and of their products) and
never a per-person value. Sums arrive as exact integers; variances are formed from them
exactly, then turned into floats.

- mean metrics: difference of means with Welch's t interval and p-value; the relative lift's
  interval by the delta method on the ratio of the two means;
- ratio metrics (sum of a numerator over sum of a denominator, e.g. revenue per order): each
  variant's ratio variance by the delta method, then a normal interval and p-value;
- CUPED: each person's value minus theta times their pre-exposure value (theta pooled over the
  two variants), the same comparison on the adjusted means;
- SRM: chi-square of the persons per variant against the declared weights;
- sample size: persons per variant that the declared minimum detectable effect needs at the
  experiment's alpha and power, from the control's variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from scipy import stats as st

# A sample-ratio mismatch below this p-value flags the experiment instead of a winner (the
# threshold GrowthBook and most platforms use: a real split almost never gets there).
SRM_P_THRESHOLD = 0.001


@dataclass(frozen=True)
class Moments:
    """One per-person column of one variant: persons, sum, sum of squares."""

    n: int
    total: int | Fraction
    squares: int | Fraction

    @property
    def mean(self) -> float:
        return float(Fraction(self.total) / self.n)

    @property
    def var(self) -> float:
        """Sample variance (n - 1), formed exactly from the sums."""
        if self.n < 2:
            return float("nan")
        return float((self.n * Fraction(self.squares) - Fraction(self.total) ** 2) /
                     (self.n * (self.n - 1)))  # fmt: skip


def covariance(n: int, sum_a, sum_b, sum_ab) -> float:
    if n < 2:
        return float("nan")
    return float((n * Fraction(sum_ab) - Fraction(sum_a) * Fraction(sum_b)) / (n * (n - 1)))


@dataclass(frozen=True)
class Comparison:
    """A variant against the control on one metric."""

    mean: float
    control_mean: float
    lift: float  # absolute: mean - control_mean
    ci_low: float
    ci_high: float
    relative_lift: float
    relative_ci_low: float
    relative_ci_high: float
    p_value: float
    se: float


def _relative(mt, mc, var_t_of_mean, var_c_of_mean, z) -> tuple[float, float, float]:
    """Relative lift mt / mc - 1 and its delta-method interval."""
    if mc == 0:
        return float("nan"), float("nan"), float("nan")
    rel = mt / mc - 1
    se = math.sqrt(var_t_of_mean / mc**2 + mt**2 * var_c_of_mean / mc**4)
    return rel, rel - z * se, rel + z * se


def welch(t: Moments, c: Moments, alpha: float = 0.05) -> Comparison:
    """Difference of means, Welch's t (unequal variances)."""
    vt, vc = t.var / t.n, c.var / c.n
    se = math.sqrt(vt + vc)
    diff = t.mean - c.mean
    df = (vt + vc) ** 2 / (vt**2 / (t.n - 1) + vc**2 / (c.n - 1)) if se > 0 else float("inf")
    q = st.t.ppf(1 - alpha / 2, df) if se > 0 else 0.0
    p = float(2 * st.t.sf(abs(diff / se), df)) if se > 0 else (1.0 if diff == 0 else 0.0)
    rel = _relative(t.mean, c.mean, vt, vc, st.norm.ppf(1 - alpha / 2))
    return Comparison(t.mean, c.mean, diff, diff - q * se, diff + q * se, *rel, p, se)


def normal(mt: float, mc: float, var_t: float, var_c: float, alpha: float = 0.05) -> Comparison:
    """Difference of two estimates with known sampling variances, normal interval."""
    var_t, var_c = max(var_t, 0.0), max(var_c, 0.0)  # a constant ratio: 0 less rounding
    se = math.sqrt(var_t + var_c)
    z = st.norm.ppf(1 - alpha / 2)
    diff = mt - mc
    p = float(2 * st.norm.sf(abs(diff / se))) if se > 0 else (1.0 if diff == 0 else 0.0)
    rel = _relative(mt, mc, var_t, var_c, z)
    return Comparison(mt, mc, diff, diff - z * se, diff + z * se, *rel, p, se)


@dataclass(frozen=True)
class RatioSums:
    """A ratio metric's sums for one variant: numerator, denominator, squares and product."""

    n: int
    num: int
    den: int
    num_sq: int
    den_sq: int
    num_den: int

    @property
    def ratio(self) -> float:
        return float(Fraction(self.num) / self.den) if self.den else float("nan")

    def var_of_ratio(self) -> float:
        """Delta method: Var(sum num / sum den) from the per-person moments."""
        if self.den == 0 or self.n < 2:
            return float("nan")
        mn, md = Fraction(self.num) / self.n, Fraction(self.den) / self.n
        vn = Moments(self.n, self.num, self.num_sq).var
        vd = Moments(self.n, self.den, self.den_sq).var
        cov = covariance(self.n, self.num, self.den, self.num_den)
        mn, md = float(mn), float(md)
        return (vn / md**2 - 2 * mn * cov / md**3 + mn**2 * vd / md**4) / self.n


def ratio_comparison(t: RatioSums, c: RatioSums, alpha: float = 0.05) -> Comparison:
    return normal(t.ratio, c.ratio, t.var_of_ratio(), c.var_of_ratio(), alpha)


@dataclass(frozen=True)
class CupedSums:
    """A mean metric with its pre-exposure covariate, for one variant."""

    y: Moments
    x: Moments
    xy: int | Fraction

    @property
    def cov(self) -> float:
        return covariance(self.y.n, self.y.total, self.x.total, self.xy)


def cuped(t: CupedSums, c: CupedSums, alpha: float = 0.05) -> tuple[Comparison, float]:
    """The CUPED-adjusted comparison and theta; theta pools both variants' (co)variances."""
    n = t.y.n + c.y.n
    var_x = ((t.y.n - 1) * t.x.var + (c.y.n - 1) * c.x.var) / (n - 2)
    cov = ((t.y.n - 1) * t.cov + (c.y.n - 1) * c.cov) / (n - 2)
    theta = cov / var_x if var_x > 0 else 0.0
    x_all = float((Fraction(t.x.total) + Fraction(c.x.total)) / n)

    def adjusted(v: CupedSums) -> tuple[float, float]:
        mean = v.y.mean - theta * (v.x.mean - x_all)
        var = v.y.var - 2 * theta * v.cov + theta**2 * v.x.var
        return mean, max(var, 0.0) / v.y.n

    (mt, vt), (mc, vc) = adjusted(t), adjusted(c)
    return normal(mt, mc, vt, vc, alpha), theta


def srm_p_value(persons: dict[str, int], weights: dict[str, float]) -> float:
    """Chi-square goodness of fit of the persons per variant to the declared weights."""
    total = sum(persons.values())
    if total == 0:
        return 1.0
    chi2 = sum(
        (persons.get(v, 0) - total * w) ** 2 / (total * w) for v, w in weights.items() if w > 0
    )
    return float(st.chi2.sf(chi2, len(weights) - 1))


def required_persons(
    control_mean: float, control_var: float, mde: float, alpha: float, power: float
) -> int | None:
    """Persons per variant that a relative lift of ``mde`` on the control mean needs (two-sided,
    equal variances); None when the control has no mean or variance yet."""
    effect = abs(mde * control_mean)
    if not effect or not math.isfinite(control_var) or control_var <= 0:
        return None
    z = st.norm.ppf(1 - alpha / 2) + st.norm.ppf(power)
    return math.ceil(2 * control_var * z**2 / effect**2)


def power_of(effect: float, se: float, alpha: float = 0.05) -> float:
    """Probability that a two-sided test at ``alpha`` rejects when the true difference is
    ``effect`` and the estimate's standard error ``se``."""
    z = st.norm.ppf(1 - alpha / 2)
    return float(st.norm.sf(z - effect / se) + st.norm.cdf(-z - effect / se))
