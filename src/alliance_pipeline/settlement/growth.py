"""Logistic growth of each campaign's cumulative new persons: saturation K, rate r, midpoint."""

from __future__ import annotations

import datetime
import math
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from alliance_pipeline.privacy import min_cell

GROWTH_COLUMNS = [
    "campaign_id",
    "first_date",
    "last_date",
    "days",
    "new_persons_total",
    "new_persons_suppressed",
    "saturation_k",
    "growth_rate_r",
    "midpoint_date",
    "r_squared",
    "rmse",
    "fit_status",
]
MIN_POINTS = 4
# K may reach this many times the last cumulative count; a fit that ends at the bound has not
# seen the curve bend (the series is still accelerating), so its K and midpoint are not
# estimates but the bound: such a fit is reported as not saturating, not as a curve.
K_BOUND_FACTOR = 100.0


def logistic(t, k, r, t0):
    return k / (1.0 + np.exp(-r * (t - t0)))


def _no_fit(status: str) -> dict:
    return dict(
        saturation_k=None,
        growth_rate_r=None,
        midpoint=None,
        r_squared=None,
        rmse=None,
        fit_status=status,
    )


def fit_logistic(days: list[int], cumulative: list[int]) -> dict:
    """Least-squares logistic fit; ``fit_status`` says why a fit is missing."""
    t, y = np.asarray(days, dtype=float), np.asarray(cumulative, dtype=float)
    if len(t) < MIN_POINTS or y[-1] <= 0:
        return _no_fit("too_few_points")
    p0 = (y[-1] * 1.2, 0.3, float(np.median(t)))
    k_max = y[-1] * K_BOUND_FACTOR
    bounds = ([y[-1], 1e-4, t[0] - 365.0], [k_max, 10.0, t[-1] + 365.0])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            (k, r, t0), _ = curve_fit(logistic, t, y, p0=p0, bounds=bounds, maxfev=10_000)
    except (RuntimeError, ValueError):
        return _no_fit("no_convergence")
    if k >= k_max * (1.0 - 1e-6):
        return _no_fit("not_saturating")
    resid = y - logistic(t, k, r, t0)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else None
    return dict(
        saturation_k=float(k),
        growth_rate_r=float(r),
        midpoint=float(t0),
        r_squared=r2,
        rmse=float(math.sqrt(float((resid**2).mean()))),
        fit_status="ok",
    )


def campaign_growth(
    daily_new: dict[str, dict[datetime.date, int]],
    summary: dict[str, tuple[int, int | None]],
    k_min: int,
) -> list[dict]:
    """One row per campaign; fitted only where the campaign counts at least k persons in total."""
    rows = []
    for cid in sorted(daily_new):
        counts = daily_new[cid]
        first, last = min(counts), max(counts)
        days = [(d - first).days for d in sorted(counts)]
        cumulative = np.cumsum([counts[d] for d in sorted(counts)]).tolist()
        hidden, total = summary.get(cid, (0, None))
        if total is None or not min_cell.at_least_k(total, k_min):
            fit = _no_fit("below_min_cell")
        else:
            fit = fit_logistic(days, cumulative)
        midpoint = fit.pop("midpoint")
        rows.append(
            dict(
                campaign_id=cid,
                first_date=first,
                last_date=last,
                days=(last - first).days + 1,
                new_persons_total=total,
                new_persons_suppressed=hidden,
                midpoint_date=None
                if midpoint is None
                else first + datetime.timedelta(days=round(midpoint)),
                **fit,
            )
        )
    return rows
