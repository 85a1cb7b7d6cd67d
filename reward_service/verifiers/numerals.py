"""A comparison rule on numerals that Math-Verify does not know: comma conventions."""

from __future__ import annotations

import re
from decimal import Decimal

_PLAIN_NUMERAL = re.compile(r"-?\d+(?:\.\d+)?")
_COMMA_GROUPED = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# Two decimals only: "-1,5" or "3,4" are as likely the list of two roots as a decimal.
_DECIMAL_COMMA = re.compile(r"-?\d+,\d\d")


def _numeral_value(text: str) -> str | None:
    """``text`` as a plain decimal numeral, reading a comma as digit grouping ("10,455") or
    as a decimal comma ("1000,99", "2,74"); None for anything else."""
    if _PLAIN_NUMERAL.fullmatch(text):
        return text
    if _COMMA_GROUPED.fullmatch(text):
        return text.replace(",", "")
    if _DECIMAL_COMMA.fullmatch(text):
        return text.replace(",", ".")
    return None


def same_numeral(gold: str, answer: str) -> bool:
    """True when two canonical answers are the same numeral written with a different comma
    convention: ``10,455`` and ``10455``, ``1000,99`` and ``1000.99``. A comma between digits
    is otherwise ambiguous with a list, so this is a comparison rule, not a normalisation,
    and it only fires when at least one side holds a comma and the digits agree."""
    if "," not in gold and "," not in answer:
        return False
    left, right = _numeral_value(gold), _numeral_value(answer)
    if left is None or right is None:
        return False
    return Decimal(left) == Decimal(right)
