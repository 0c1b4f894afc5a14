"""Exact money: integer minor units, half-even rounding, largest-remainder allocation.

Amounts travel as ``int`` minor units (fen). A value that is not a whole number of minor units
(an fx conversion, a rate applied to a total) is an exact :class:`fractions.Fraction` until it is
rounded half-even exactly once, where a statement line or header gets its amount.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

# Minor-unit exponent per ISO 4217 currency used by the alliance (all have 2 decimals).
MINOR_EXPONENT = {"CNY": 2, "USD": 2, "HKD": 2, "EUR": 2}

Exact = int | Decimal | Fraction


def _exponent(currency: str) -> int:
    try:
        return MINOR_EXPONENT[currency]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def to_minor(amount: Decimal | str | int, currency: str = "CNY") -> int:
    """Major units (``Decimal('199.00')``) to integer minor units (19900); never rounds."""
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    value = Decimal(amount) if not isinstance(amount, Decimal) else amount
    scaled = value.scaleb(_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def from_minor(minor: int, currency: str = "CNY") -> Decimal:
    """Integer minor units to a ``Decimal`` in major units with the currency's places."""
    if not isinstance(minor, int):
        raise TypeError(f"minor units must be int, got {type(minor).__name__}")
    # an integer's digits with the currency's exponent: exactly the places, no rounding
    return Decimal(minor).scaleb(-_exponent(currency))


def round_half_even(value: Exact) -> int:
    """The one rounding of an exact amount in minor units to a whole minor unit."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    if isinstance(value, Decimal):
        return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))
    return round(Fraction(value))  # Fraction.__round__ rounds half to even


def allocate(total: int, weights: Sequence[Exact]) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights`` so that the parts sum to it.

    Largest-remainder method: every part gets the floor of its exact share, then the units left
    over go one each to the parts with the largest fractional remainders (ties: earlier first).
    A negative total is split like its absolute value and negated. Weights must be >= 0.
    """
    if not isinstance(total, int):
        raise TypeError("total must be int minor units")
    fracs = [w if isinstance(w, int | Fraction) else Fraction(w) for w in weights]
    if any(w < 0 for w in fracs):
        raise ValueError("allocation weights must be non-negative")
    # exact in integers: weights over their common denominator
    den = math.lcm(*(w.denominator for w in fracs)) if fracs else 1
    nums = [w.numerator * (den // w.denominator) for w in fracs]
    wsum = sum(nums)
    if wsum == 0:
        if total == 0:
            return [0] * len(nums)
        raise ValueError("cannot allocate a non-zero total over zero weights")
    sign, amount = (-1, -total) if total < 0 else (1, total)
    split = [divmod(amount * n, wsum) for n in nums]  # floor and remainder (over wsum)
    parts = [q for q, _ in split]
    left = amount - sum(parts)
    order = sorted(range(len(split)), key=lambda i: (-split[i][1], i))
    for i in order[:left]:
        parts[i] += 1
    return [sign * p for p in parts]


def round_parts(total: int, parts: Sequence[Exact]) -> list[int]:
    """Round exact amounts of any sign to whole minor units that sum to ``total``.

    Largest remainder again: every part gets its floor, then the units left over go one each to
    the parts with the largest fractional remainders (ties: earlier first); a total further from
    the floors' sum than there are parts first adds (or takes) whole units to every part alike.
    """
    if not isinstance(total, int):
        raise TypeError("total must be int minor units")
    if any(isinstance(p, float) for p in parts):
        raise TypeError("money must not be a float")
    if not parts:
        if total:
            raise ValueError("cannot round no parts to a non-zero total")
        return []
    fracs = [Fraction(p) for p in parts]
    floors = [math.floor(f) for f in fracs]
    each, extra = divmod(total - sum(floors), len(fracs))
    order = sorted(range(len(fracs)), key=lambda i: (floors[i] - fracs[i], i))
    out = [f + each for f in floors]
    for i in order[:extra]:
        out[i] += 1
    return out
