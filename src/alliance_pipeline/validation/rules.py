"""Checks that GX Core lacks, written in pandas beside the GX suite (the one way we add rules).

Each check takes a typed column (see readers) and returns a boolean mask of the rows it flags;
nulls pass (``not_null`` is the suite's business). Rule ids are ``<check>:<column>``. The checks
named in :data:`OBSERVATIONS` are spellings that de-identification normalises (full-width
digits in a mobile, padding or case in an e-mail): reported at info level, never quarantined.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alliance_pipeline.readers import EXCEL_SCIENTIFIC, FULLWIDTH

MOBILE_CN = re.compile(r"^1[3-9][0-9]{9}$")
MOBILE_SEPARATORS = re.compile(r"[\s\-().]")
MOBILE_PREFIX = re.compile(r"^(?:\+86|0086|86(?=[0-9]{11}$))")
RESIDENT_ID = re.compile(r"^[0-9]{17}[0-9X]$")
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"


OBSERVATIONS = ("fullwidth_digits", "spelling")


def normalise_mobile(value: str) -> str:
    """A CN mobile as 11 national digits: NFKC (full-width digits and signs made narrow), no
    separators, no +86. Validity is checked apart."""
    narrow = unicodedata.normalize("NFKC", value).strip()
    return MOBILE_PREFIX.sub("", MOBILE_SEPARATORS.sub("", narrow))


def mobile_checks(values: pd.Series) -> dict[str, np.ndarray]:
    """``fullwidth_digits`` (an observation: NFKC makes them narrow before the check),
    ``excel_scientific_notation`` (digits lost: reported, never repaired) and ``mobile_cn``
    (not a CN mobile after normalisation)."""
    present = values.notna().to_numpy()
    text = values.fillna("").astype(str).str.strip()
    fullwidth = text.str.contains(FULLWIDTH).to_numpy() & present
    scientific = text.str.match(EXCEL_SCIENTIFIC).to_numpy() & present
    normalised = text.map(normalise_mobile)
    invalid = ~normalised.str.match(MOBILE_CN).to_numpy() & present & ~scientific
    return {
        "fullwidth_digits": fullwidth,
        "excel_scientific_notation": scientific,
        "mobile_cn": invalid,
    }


def email_checks(values: pd.Series) -> dict[str, np.ndarray]:
    """``spelling``: padded or not lowercase (an observation; the suite checks the format of
    the trimmed, lowercased value)."""
    present = values.notna().to_numpy()
    text = values.fillna("").astype(str)
    return {"spelling": present & (text != text.str.strip().str.lower()).to_numpy()}


BIRTH_RANGE = (pd.Timestamp.min.date(), pd.Timestamp.max.date())


def resident_id_valid(value: str) -> bool:
    """CN resident id (GB 11643): 17 digits, a valid birth date, and the ISO 7064 check char."""
    value = value.strip().upper()
    if not RESIDENT_ID.match(value):
        return False
    try:  # a real calendar date, within what the lake's timestamps can hold
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not BIRTH_RANGE[0] <= birth <= BIRTH_RANGE[1]:
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11] == value[17]


def resident_id_checks(values: pd.Series) -> dict[str, np.ndarray]:
    present = values.notna().to_numpy()
    valid = np.array(
        [resident_id_valid(v) if p else True for v, p in zip(values, present, strict=True)],
        dtype=bool,
    )
    return {"cn_resident_id": present & ~valid}


def reference_check(values: pd.Series, known: set[str] | None) -> np.ndarray:
    """Rows whose value is not among the known ids (``None`` known: nothing is known yet)."""
    present = values.notna().to_numpy()
    if known is None:
        return present
    return present & ~values.isin(known).to_numpy()


def amount_check(typed: pd.DataFrame) -> np.ndarray | None:
    """Rows whose ``amount`` is not ``quantity * unit_price`` (the contract's definition), to
    the cent, in exact decimal arithmetic (Arrow's); a row missing one of them is the not-null
    rules' business. ``None``: a column is not delivered."""
    if not {"quantity", "unit_price", "amount"} <= set(typed.columns):
        return None
    quantity = pa.array(typed["quantity"], type=pa.int64(), from_pandas=True)
    price, amount = (pa.array(typed[c], from_pandas=True) for c in ("unit_price", "amount"))
    product = pc.multiply(pc.cast(quantity, pa.decimal128(19, 0)), price)
    differs = pc.not_equal(product, amount).fill_null(False)
    return np.asarray(differs.to_numpy(zero_copy_only=False), dtype=bool)


# Checks across columns of one row, per dataset: rule -> check(typed frame) -> mask or None.
ROW_CHECKS = {"orders": {"amount_is_quantity_x_unit_price": amount_check}}

FORMAT_CHECKS = {
    "mobile_cn": mobile_checks,
    "email": email_checks,
    "cn_resident_id": resident_id_checks,
}
