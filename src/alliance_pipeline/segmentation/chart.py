"""The per-run segment profile chart: one self-contained HTML file (inline SVG, no scripts)."""

from __future__ import annotations

import html

import pandas as pd

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#1b9e77", "#d95f02")  # fmt: skip
METRICS = (
    ("persons", "Persons"),
    ("median_spend_cny", "Median spend (CNY)"),
    ("median_watch_minutes", "Median watch minutes"),
    ("mean_completion_rate", "Mean completion rate"),
    ("median_recency_days", "Median days since last paid order"),
)
BAR_W, ROW_H = 260, 22


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _bars(profile: pd.DataFrame, column: str, title: str) -> str:
    top = max(float(profile[column].max() or 0), 1e-9)
    rows = []
    for i, r in enumerate(profile.itertuples()):
        v = float(getattr(r, column) or 0)
        y = 24 + i * ROW_H
        rows.append(
            f'<text x="0" y="{y + 14}">{html.escape(r.segment_id)}</text>'
            f'<rect x="70" y="{y + 3}" width="{BAR_W * v / top:.1f}" height="{ROW_H - 6}" '
            f'fill="{_colour(i)}"/><text x="{75 + BAR_W * v / top:.1f}" y="{y + 14}">{v:g}</text>'
        )
    h = 30 + len(profile) * ROW_H
    return (
        f'<svg width="{BAR_W + 140}" height="{h}" class="bars"><text x="0" y="14" '
        f'font-weight="bold">{html.escape(title)}</text>{"".join(rows)}</svg>'
    )


def _scatter(points: pd.DataFrame, order: list[str]) -> str:
    size, pad = 520, 20
    x0, x1 = points["x"].min(), points["x"].max()
    y0, y1 = points["y"].min(), points["y"].max()
    sx = (size - 2 * pad) / max(x1 - x0, 1e-9)
    sy = (size - 2 * pad) / max(y1 - y0, 1e-9)
    colour = {s: _colour(i) for i, s in enumerate(order)}
    dots = "".join(
        f'<circle cx="{pad + (r.x - x0) * sx:.1f}" cy="{size - pad - (r.y - y0) * sy:.1f}" r="2" '
        f'fill="{colour.get(r.segment_id, "#999")}" fill-opacity="0.6"/>'
        for r in points.itertuples()
    )
    return f'<svg width="{size}" height="{size}" style="border:1px solid #ddd">{dots}</svg>'


def profile_html(
    profile: pd.DataFrame,
    run_date: str,
    points: pd.DataFrame | None = None,
    notes: dict[str, str] | None = None,
) -> str:
    """``profile``: segment_id, label, top_categories and the METRICS columns;
    ``points``: optional segment_id, x, y (PCA of the scaled features)."""
    profile = profile.sort_values("segment_id").reset_index(drop=True)
    order = list(profile["segment_id"])
    legend = "".join(
        f'<tr><td><span style="color:{_colour(i)}">&#9632;</span> {html.escape(r.segment_id)}</td>'
        f"<td>{html.escape(r.label)}</td><td>{r.persons}</td>"
        f"<td>{html.escape(r.top_categories or '')}</td></tr>"
        for i, r in enumerate(profile.itertuples())
    )
    bars = "".join(_bars(profile, c, t) for c, t in METRICS)
    scatter = ""
    if points is not None and len(points):
        scatter = f"<h2>PCA of scaled features ({len(points)} persons)</h2>" + _scatter(
            points, order
        )
    meta = "".join(
        f"<li>{html.escape(k)}: {html.escape(str(v))}</li>" for k, v in (notes or {}).items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Segments {html.escape(run_date)}</title>
<style>body{{font-family:sans-serif;margin:24px}} svg.bars{{margin:8px 24px 8px 0}}
svg text{{font-size:12px}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:left}}</style></head>
<body><h1>Segment profiles, run date {html.escape(run_date)}</h1>
<ul>{meta}</ul>
<table><tr><th>segment</th><th>label</th><th>persons</th><th>top categories</th></tr>
{legend}</table>
<div style="display:flex;flex-wrap:wrap">{bars}</div>
{scatter}
</body></html>
"""
