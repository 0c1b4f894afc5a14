"""A delivery's outcomes, added up from the outcomes of its chunks.

Counts add up (``"<unexpected> of <rows> rows"``, rows affected); a rule passes when it passed in
every chunk; a rule that is not a count (a table expectation, an error) keeps what its first
failing chunk observed, else its first chunk's. What only the whole delivery can show (the row
count band, the key's uniqueness) is judged by the caller on the whole and set with
:meth:`Tally.judge`. Reader rules are kept in the order a whole read reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alliance_pipeline.validation.gx_run import Outcome


@dataclass
class RuleTally:
    first: Outcome
    passed: bool = True
    unexpected: int | None = 0
    affected: int = 0
    observed: str | None = None  # of a rule that is not a count


@dataclass
class Tally:
    reader_order: list[str]
    rows: int = 0
    sections: dict[str, dict[str, RuleTally]] = field(
        default_factory=lambda: {"reader": {}, "gx": {}, "pandas": {}}
    )

    def add(self, section: str, outcomes: list[Outcome]) -> None:
        rules = self.sections[section]
        for o in outcomes:
            t = rules.setdefault(o.rule, RuleTally(o, observed=o.observed_value))
            if o.unexpected is None or t.unexpected is None:
                t.unexpected = None
            else:
                t.unexpected += o.unexpected
            if not o.passed and t.passed:
                t.observed = o.observed_value
            t.passed = t.passed and o.passed
            t.affected += o.rows_affected

    def judge(self, rule: str, passed: bool, observed: str, affected: int = 0) -> None:
        """Sets a GX rule's result from the whole delivery."""
        t = self.sections["gx"].get(rule)
        if t is not None:
            t.passed, t.unexpected, t.observed, t.affected = passed, None, observed, affected

    def outcomes(self) -> list[Outcome]:
        order = {rule: i for i, rule in enumerate(self.reader_order)}
        reader = sorted(self.sections["reader"].items(), key=lambda kv: order.get(kv[0], -1))
        merged = reader + list(self.sections["gx"].items()) + list(self.sections["pandas"].items())
        return [self._outcome(t) for _, t in merged]

    def _outcome(self, t: RuleTally) -> Outcome:
        o = t.first
        observed = t.observed if t.unexpected is None else f"{t.unexpected} of {self.rows} rows"
        return Outcome(o.rule, o.severity, o.expectation, t.passed, observed, affected=t.affected)
