"""The publish gate: a candidate scores only when it beats the baseline on every target.

A candidate passes when, for click and for order, the holdout has at least ``min_positives``
positives and some negatives and its ROC AUC is above the baseline's (each campaign's rate in
the training period). Of the candidates that pass, the one with the highest mean ROC AUC is
chosen. When none passes, the last model that passed keeps scoring (or, if none ever did, the
baseline).
"""

from __future__ import annotations

from alliance_pipeline.propensity.train import TARGETS

BASELINE = "baseline"


def choose(
    rows: list[dict], candidates: tuple[str, ...], min_positives: int
) -> tuple[str | None, str]:
    """(the chosen candidate or None, why) from evaluation rows (target, model, positives,
    roc_auc)."""
    by = {(r["target"], r["model"]): r for r in rows}
    for t in TARGETS:
        base = by.get((t, BASELINE))
        if base is None or (base["positives"] or 0) < min_positives or base["roc_auc"] is None:
            have = 0 if base is None else base["positives"] or 0
            return (
                None,
                f"too little to judge: {have} holdout {t}(s), fewer than {min_positives} or no negatives",
            )
    passed, verdicts = {}, []
    for c in candidates:
        aucs = {t: by[t, c]["roc_auc"] for t in TARGETS if (t, c) in by}
        beats = all(
            aucs.get(t) is not None and aucs[t] > by[t, BASELINE]["roc_auc"] for t in TARGETS
        )
        text = ", ".join(
            f"{t} {aucs[t]:.4f} vs {by[t, BASELINE]['roc_auc']:.4f}"
            for t in TARGETS
            if aucs.get(t) is not None
        )
        verdicts.append(f"{c} ROC AUC {text or 'not evaluated'}")
        if beats:
            passed[c] = sum(aucs.values()) / len(TARGETS)
    summary = "; ".join(verdicts)
    if not passed:
        return None, f"no candidate beats the baseline on every target: {summary}"
    best = max(sorted(passed), key=passed.get)
    return best, f"{best} chosen: {summary}"
