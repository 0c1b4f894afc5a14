"""One GX suite result (for data docs) from the scrubbed results of a delivery's chunks.

A delivery of one chunk keeps its result as GX made it. With more chunks, each expectation's
``success`` is the conjunction of its chunks', its counts are added up (a chunk where it passed in
GX's first pass counts its rows and no unexpected one; missing counts are kept only when every
chunk has them; without them, ``unexpected_percent`` is the share of all rows) and its
percentages recomputed; what the whole delivery decides (the row count
band, the key's uniqueness) is set from the delivery's outcomes, then the statistics.
"""

from __future__ import annotations

COUNTS = ("element_count", "unexpected_count", "missing_count")


def _rule(result: dict) -> str:
    cfg = result["expectation_config"]
    return (cfg.get("meta") or {}).get("rule", cfg["type"])


def _counts(result: dict, rows: int) -> dict:
    found = result.get("result") or {}
    if "element_count" not in found:
        return {"element_count": rows, "unexpected_count": 0}
    return {k: found[k] for k in COUNTS if k in found}


class GxResults:
    def __init__(self):
        self.merged: dict | None = None
        self.chunks = 0
        self.counts: list[dict] = []

    def add(self, result: dict, rows: int) -> None:
        self.chunks += 1
        if self.merged is None:
            self.merged = result
            self.counts = [_counts(r, rows) for r in result["results"]]
            return
        for i, (mine, theirs) in enumerate(
            zip(self.merged["results"], result["results"], strict=True)
        ):
            mine["success"] = mine["success"] and theirs["success"]
            if not (mine.get("exception_info") or {}).get("raised_exception"):
                mine["exception_info"] = theirs.get("exception_info", mine.get("exception_info"))
            add = _counts(theirs, rows)
            self.counts[i] = {k: self.counts[i][k] + add[k] for k in self.counts[i] if k in add}

    def result(
        self, rows: int, judged: dict[str, tuple[bool, int | None]], band: tuple[int, int]
    ) -> dict | None:
        """The delivery's result; ``judged``: rule -> (passed, unexpected rows) of what the
        whole delivery decides (``None`` rows: the row count, observed ``rows`` in ``band``;
        the chunks were held to no band)."""
        if self.merged is None or self.chunks == 1:
            return self.merged
        for r, counts in zip(self.merged["results"], self.counts, strict=True):
            rule = _rule(r)
            if rule in judged:
                r["success"], unexpected = judged[rule]
                if unexpected is None:
                    r["result"] = {"observed_value": rows}
                    kwargs = r["expectation_config"]["kwargs"]
                    kwargs["min_value"], kwargs["max_value"] = band
                    continue
                counts = {"element_count": rows, "unexpected_count": unexpected}
            if not r["expectation_config"]["type"].startswith("expect_table_"):
                r["result"] = _with_percents(counts) if not r["success"] else {}
        results = self.merged["results"]
        passed = sum(bool(r["success"]) for r in results)
        self.merged["success"] = passed == len(results)
        self.merged["statistics"] = {
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": 100.0 * passed / len(results) if results else None,
        }
        return self.merged


def _with_percents(counts: dict) -> dict:
    out = dict(counts)
    n, bad = counts["element_count"], counts["unexpected_count"]
    out["unexpected_percent_total"] = 100.0 * bad / n if n else 0.0
    # without every chunk's missing count, the share of all rows (data docs need one)
    out["unexpected_percent"] = out["unexpected_percent_total"]
    if "missing_count" in counts:
        present = n - counts["missing_count"]
        out["missing_percent"] = 100.0 * counts["missing_count"] / n if n else 0.0
        out["unexpected_percent"] = out["unexpected_percent_nonmissing"] = (
            100.0 * bad / present if present else 0.0
        )
    return out
