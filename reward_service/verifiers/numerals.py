"""Comparison rules on numerals that Math-Verify does not know: comma conventions, and
rounding that only makes sense relative to the size of the number."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

_PLAIN_NUMERAL = re.compile(r"-?\d+(?:\.\d+)?")
_COMMA_GROUPED = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# Two decimals only: "-1,5" or "3,4" are as likely the list of two roots as a decimal.
_DECIMAL_COMMA = re.compile(r"-?\d+,\d\d")


def is_comma_numeral(text: str) -> bool:
    """Whether ``text`` may be one number with a comma in it (``10,455``, ``2,74``)."""
    return bool(_COMMA_GROUPED.fullmatch(text) or _DECIMAL_COMMA.fullmatch(text))


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


# An exact rational numeral: "0.0000001", "-3", "1/3000000", "\\frac{1}{3}", "-\\frac{2}{7}".
_RATIONAL = re.compile(
    r"(?P<sign>-?)\s*(?:(?P<decimal>\d{1,40}(?:\.\d{1,40})?)|(?P<num>\d{1,40})\s*/\s*(?P<den>\d{1,40})"
    r"|\\frac\s*\{\s*(?P<fnum>\d{1,40})\s*\}\s*\{\s*(?P<fden>\d{1,40})\s*\})"
)
RELATIVE_GAP = Fraction(1, 100)
"""Two numbers further apart than this, relative to the larger, are never one answer rounded."""


def _rational(text: str) -> Fraction | None:
    match = _RATIONAL.fullmatch(text.strip())
    if match is None:
        return None
    if match.group("decimal") is not None:
        value = Fraction(match.group("decimal"))
    else:
        numerator = match.group("num") or match.group("fnum")
        denominator = int(match.group("den") or match.group("fden"))
        if denominator == 0:
            return None
        value = Fraction(int(numerator), denominator)
    return -value if match.group("sign") else value


def distinct_numerals(gold: str, answer: str) -> bool:
    """True when both canonical answers are exact rational numerals more than 1 % apart
    (relative to the larger). Math-Verify rounds to a fixed number of decimals, so
    ``0.0000001`` would equal ``1/3000000``; a rounded answer (``0.333`` for ``1/3``) is never
    that far from its value, so this only refuses what absolute rounding wrongly accepts."""
    left, right = _rational(gold), _rational(answer)
    if left is None or right is None or left == right:
        return False
    return abs(left - right) > RELATIVE_GAP * max(abs(left), abs(right))
