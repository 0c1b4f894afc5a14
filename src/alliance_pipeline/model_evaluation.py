"""mart.model_evaluation: the one table of every model's nightly holdout evaluation (migration 750).

Each family fills its own metric columns and leaves the other's NULL (the table's CHECK):
``recommendation`` (target ``item``: the ranking metrics at k) and ``propensity`` (targets
``click`` and ``order``: ROC AUC, PR AUC, log loss, lift, the gate's choice). A family's
publisher replaces only its own rows of a run date, inside the publisher's transaction, so the
other family's rows of that date stay and a rerun replaces exactly what it wrote.
mart.propensity_evaluation is a view of the propensity rows.
"""

from __future__ import annotations

import datetime

import pandas as pd

TABLE = "mart.model_evaluation"
RECOMMENDATION = "recommendation"
PROPENSITY = "propensity"
RECOMMENDATION_TARGET = "item"  # one value: the key (run_date, family, target, model) has no NULL

_OWN_COLUMNS = {
    RECOMMENDATION: ("k", "persons", "precision", "recall", "ndcg", "map", "coverage"),
    PROPENSITY: (
        "pairs",
        "positives",
        "roc_auc",
        "pr_auc",
        "log_loss",
        "top_decile_lift",
        "chosen",
        "scoring_model",
        "scoring_model_version",
    ),
}


def replace_family(tx, family: str, run_date: datetime.date, rows: pd.DataFrame) -> int:
    """Replace ``family``'s rows of ``run_date`` with ``rows`` (target, model, the family's
    metrics, published, reason, params); the other family's columns are NULL. Returns rows."""
    if family not in _OWN_COLUMNS:
        raise ValueError(f"{TABLE}: unknown family {family!r}")
    rows = rows.assign(run_date=run_date, family=family)
    for other, columns in _OWN_COLUMNS.items():
        if other != family:
            rows = rows.assign(**dict.fromkeys(columns))
    return tx.replace_partition(TABLE, {"run_date": run_date, "family": family}, rows)
