"""The HTML report of one experiment's readout: one self-contained file (inline SVG, no
scripts), written beside the mart rows it shows and from them only."""

from __future__ import annotations

import html
import math

from alliance_pipeline.experiments.metrics import METRICS
from alliance_pipeline.experiments.registry import Experiment
from alliance_pipeline.experiments.stats import SRM_P_THRESHOLD

STYLE = """
body{font-family:sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f2f2f2} td.l,th.l{text-align:left}
.better{background:#e3f4e1}.worse{background:#fbe3e3}.srm{background:#fbe3e3;padding:1em;
border:2px solid #c00}.ok{background:#eef5fb;padding:0.6em}.muted{color:#888}
"""
VERDICTS = {
    "control": "control",
    "better": "better (significant)",
    "worse": "worse (significant)",
    "inconclusive": "no significant difference",
    "sample_ratio_mismatch": "not read: sample ratio mismatch",
    "suppressed": "withheld (fewer than k persons)",
}
PLOT_W, PLOT_H = 220, 18


def _num(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return '<span class="muted">–</span>'
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _pct(value) -> str:
    return _num(None) if value is None else f"{100 * value:+.2f}%"


def _interval_svg(low, high, scale: float) -> str:
    """The relative lift's interval against 0 (the control) on a shared scale."""
    if low is None or high is None or not scale:
        return ""
    mid = PLOT_W / 2

    def x(v):
        return mid + max(-1.0, min(1.0, v / scale)) * (PLOT_W / 2 - 4)

    colour = "#2a7d2a" if low > 0 else "#b22" if high < 0 else "#555"
    return (
        f'<svg width="{PLOT_W}" height="{PLOT_H}"><line x1="{mid}" y1="0" x2="{mid}" '
        f'y2="{PLOT_H}" stroke="#999"/><line x1="{x(low):.1f}" y1="9" x2="{x(high):.1f}" y2="9" '
        f'stroke="{colour}" stroke-width="4"/></svg>'
    )


def _header(e: Experiment, dt: str) -> str:
    variants = "".join(
        f"<tr><td class='l'>{html.escape(v.id)}{' (control)' if v.control else ''}</td>"
        f"<td>{v.weight:.0%}</td><td class='l'>{html.escape(str(v.changes or '—'))}</td></tr>"
        for v in e.variants
    )
    return (
        f"<h1>Experiment {html.escape(e.id)}</h1><p>{html.escape(e.hypothesis)}</p>"
        f"<p>{e.kind}; running {e.start_date} to {e.end_date}; readout of night {dt} "
        f"(exposed persons from their first exposure to the end of the night). Primary metric "
        f"<b>{e.primary_metric}</b>; guardrails {', '.join(e.guardrail_metrics) or 'none'}; "
        f"minimum detectable effect {e.minimum_detectable_effect:.1%} (relative), alpha "
        f"{e.alpha}, power {e.power:.0%}; CUPED covariate: the same metric over the "
        f"{e.pre_period_days} days before each person's first exposure.</p>"
        f"<table><tr><th class='l'>variant</th><th>weight</th><th class='l'>changes</th></tr>"
        f"{variants}</table>"
    )


def _checks(rows: list[dict], quality: dict[str, str]) -> str:
    srm_p = rows[0]["srm_p_value"]
    if rows[0]["srm_flag"]:
        banner = (
            f"<div class='srm'><b>Sample ratio mismatch</b>: persons per variant do not follow "
            f"the declared weights (chi-square p = {srm_p:.2g} &lt; {SRM_P_THRESHOLD}). The split "
            "or the exposure logging is broken: no variant is declared a winner; find the cause "
            "before reading any lift.</div>"
        )
    else:
        banner = (
            f"<div class='ok'>Sample ratio check passed (chi-square p = {srm_p:.3g} against the "
            "declared weights).</div>"
        )
    notes = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in quality.items())
    return banner + (f"<ul>{notes}</ul>" if notes else "")


def _sample_size(e: Experiment, rows: list[dict]) -> str:
    primary = [r for r in rows if r["metric"] == e.primary_metric]
    cells = "".join(
        f"<tr><td class='l'>{html.escape(r['variant'])}</td><td>{_num(r['persons'])}</td>"
        f"<td>{_num(r['required_persons'])}</td><td class='l'>"
        + (
            "enough"
            if r["persons"] and r["required_persons"] and r["persons"] >= r["required_persons"]
            else "not yet: keep the test running to its planned size before deciding"
        )
        + "</td></tr>"
        for r in primary
    )
    return (
        "<h2>Sample size</h2><table><tr><th class='l'>variant</th><th>persons</th>"
        f"<th>needed for the MDE</th><th class='l'></th></tr>{cells}</table>"
    )


def _metric_table(name: str, rows: list[dict]) -> str:
    m = METRICS[name]
    unit = " (CNY)" if m.money else ""
    scale = max(
        (abs(v) for r in rows for v in (r["relative_ci_low"], r["relative_ci_high"])
         if v is not None and math.isfinite(v)),
        default=0.0,
    )  # fmt: skip
    body = []
    for r in rows:
        cls = r["verdict"] if r["verdict"] in ("better", "worse") else ""
        body.append(
            f"<tr class='{cls}'><td class='l'>{html.escape(r['variant'])}</td>"
            f"<td>{_num(r['persons'])}</td><td>{_num(r['mean'])}</td>"
            f"<td>{_num(r['lift'])} [{_num(r['lift_ci_low'])}, {_num(r['lift_ci_high'])}]</td>"
            f"<td>{_pct(r['relative_lift'])} [{_pct(r['relative_ci_low'])}, "
            f"{_pct(r['relative_ci_high'])}]</td>"
            f"<td>{_interval_svg(r['relative_ci_low'], r['relative_ci_high'], scale)}</td>"
            f"<td>{_num(r['p_value'])}</td>"
            f"<td>{_num(r['cuped_lift'])} [{_num(r['cuped_ci_low'])}, "
            f"{_num(r['cuped_ci_high'])}]</td><td>{_num(r['cuped_p_value'])}</td>"
            f"<td class='l'>{VERDICTS[r['verdict']]}</td></tr>"
        )
    return (
        f"<h3>{name}{unit} <small>({rows[0]['metric_role']}; {html.escape(m.description)})"
        "</small></h3><table><tr><th class='l'>variant</th><th>persons</th><th>value</th>"
        "<th>lift [95% CI]</th><th>relative lift [95% CI]</th><th>relative CI vs 0</th>"
        "<th>p-value</th><th>CUPED lift [95% CI]</th><th>CUPED p</th><th class='l'>verdict</th>"
        f"</tr>{''.join(body)}</table>"
    )


def readout_html(e: Experiment, dt: str, rows: list[dict], quality: dict[str, str]) -> str:
    """The report of one experiment's readout rows (as published) and its exposure checks."""
    by_metric: dict[str, list[dict]] = {}
    for r in rows:
        by_metric.setdefault(r["metric"], []).append(r)
    tables = "".join(_metric_table(name, metric_rows) for name, metric_rows in by_metric.items())
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(e.id)} {dt}"
        f"</title><style>{STYLE}</style></head><body>{_header(e, dt)}"
        f"<h2>Checks</h2>{_checks(rows, quality)}{_sample_size(e, rows)}"
        f"<h2>Metrics</h2><p>Lifts are against the control; intervals at {1 - e.alpha:.0%}. A "
        "fixed-horizon test: decide once, at the planned sample size, on the primary metric, "
        "with the guardrails not worse.</p>"
        f"{tables}</body></html>"
    )
