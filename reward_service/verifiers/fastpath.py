"""In-process verdicts for simple comparisons, before any worker: plain numerals.

A comparison of two canonical answers that are each an integer, a decimal, a fraction
(``3/4``, ``\\frac{3}{4}``, ``-\\frac{3}{4}``, ``\\frac{-3}{4}``) or one of those with a
percent sign (``\\%``) is decided here, in exact rational arithmetic, when the worker's
verdict (``symbolic_task.check``: the comma rule, then Math-Verify) is certain from the values
alone. Anything else gets no verdict and goes to the worker, so the rules only ever answer
with what the worker would: never a verdict the worker could contradict.

What the worker does on these shapes, and so what is decided here:

- identical text is equal (the service's rule before this module existed);
- a comma numeral (``10,455``, ``1000,99``) equal by the comma rule is equal; otherwise
  digit groups of three (``3,250``, ``1,000.5``) are the number without commas, as
  Math-Verify reads them, and any other comma falls through (``1,5`` may be a list);
- integers and fractions are exact in sympy: equal exactly when their values are;
- a decimal is a float to Math-Verify, compared after rounding to ``float_rounding`` places:
  equal values are equal, values farther apart than twice that rounding step are not, and
  the band between falls through (``1/3`` and ``0.333333`` are equal there);
- a decimal of more than 12 significant digits falls through (a float holds 15);
- a percentage ``n\\%`` is equal to the value ``n/100``, and a non-negative integer
  percentage also to the integer ``n`` (``50\\%`` and ``50``; never ``50.0``, and ``-12\\%``
  is not ``-12``); two percentages compare their ``n``.
  A decimal ``x`` equal to ``n`` falls through, as do a percentage written ``%`` and the
  rounding band as above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from reward_service.verifiers.numerals import same_numeral
from reward_service.verifiers.outcome import Outcome

_INTEGER = re.compile(r"(-?)(\d{1,40})")
# "3,250", "-1,000.5": digit groups of three after a leading group that does not start with 0
# (Math-Verify reads "0,111" as 0.111)
_GROUPED = re.compile(r"-?[1-9]\d{0,2}(?:,\d{3}){1,12}(?:\.\d{1,12})?")
_DECIMAL = re.compile(r"(-?)(\d{1,12})\.(\d{1,12})")
_SLASH_FRACTION = re.compile(r"(-?)(\d{1,20})/(\d{1,20})")
_LATEX_FRACTION = re.compile(r"(-?)\\frac\{(-?)(\d{1,20})\}\{(\d{1,20})\}")
_PERCENT = "\\%"
_MAX_DECIMAL_DIGITS = 12
"""Significant digits a decimal may have here: well inside a float's 15, so two decimals that
differ as text never become the same float."""


class Shape(Enum):
    """How a numeral is written; it decides how sympy holds it (exact or float)."""

    INTEGER = "integer"
    DECIMAL = "decimal"
    FRACTION = "fraction"


@dataclass(frozen=True, slots=True)
class Numeral:
    """A plain numeral's exact value, how it is written, and whether it is a percentage."""

    value: Fraction
    shape: Shape
    percent: bool = False

    @property
    def exact(self) -> bool:
        """Held exactly by sympy (an Integer or a Rational), not as a float."""
        return self.shape is not Shape.DECIMAL


def numeral(text: str) -> Numeral | None:
    """``text`` read as a plain numeral, or None for anything else (lists, expressions,
    commas other than digit groups, out-of-bound lengths). Bounded: every pattern caps its
    digit runs."""
    percent = text.endswith(_PERCENT)
    body = text[: -len(_PERCENT)].rstrip() if percent else text
    if "," in body:  # a grouped percentage ("1,000\\%") is read differently: not here
        if percent or not _GROUPED.fullmatch(body):
            return None
        body = body.replace(",", "")
    if match := _INTEGER.fullmatch(body):
        return Numeral(_signed(match[1], Fraction(int(match[2]))), Shape.INTEGER, percent)
    if match := _DECIMAL.fullmatch(body):
        whole, decimals = match[2], match[3]
        if len((whole + decimals).lstrip("0")) > _MAX_DECIMAL_DIGITS:
            return None
        value = Fraction(int(whole + decimals), 10 ** len(decimals))
        return Numeral(_signed(match[1], value), Shape.DECIMAL, percent)
    if percent:  # a fraction with a percent sign is not a plain numeral
        return None
    if match := _SLASH_FRACTION.fullmatch(body):
        return _fraction(match[1], match[2], match[3])
    if match := _LATEX_FRACTION.fullmatch(body):
        if match[1] and match[2]:  # "-\frac{-1}{2}": a double sign is not a plain numeral
            return None
        return _fraction(match[1] or match[2], match[3], match[4])
    return None


def _signed(sign: str, value: Fraction) -> Fraction:
    return -value if sign else value


def _fraction(sign: str, numerator: str, denominator: str) -> Numeral | None:
    if int(denominator) == 0:
        return None
    value = Fraction(int(numerator), int(denominator))
    return Numeral(_signed(sign, value), Shape.FRACTION)


class FastPath:
    """Verdicts for plain-numeral comparisons, with the worker's rounding setting."""

    def __init__(self, float_rounding: int) -> None:
        # Rounding both sides to ``float_rounding`` places moves each by at most half a step:
        # values more than two steps apart can never round to the same number.
        self._apart = Fraction(2, 10**float_rounding)

    def outcome(self, gold: str, answer: str) -> Outcome | None:
        """The worker's outcome for comparing ``answer`` with ``gold`` when it is certain from
        the numerals' values; None (ask the worker) otherwise."""
        if gold == answer:
            return Outcome.EQUAL
        if same_numeral(gold, answer):  # the worker's first rule
            return Outcome.EQUAL
        left, right = numeral(gold), numeral(answer)
        if left is None or right is None:
            return None
        if left.percent and right.percent:
            return self._compare(left.value / 100, right.value / 100, exact=False)
        if left.percent or right.percent:
            percent, plain = (left, right) if left.percent else (right, left)
            return self._against_percent(percent, plain)
        return self._compare(left.value, right.value, exact=left.exact and right.exact)

    def _compare(self, left: Fraction, right: Fraction, *, exact: bool) -> Outcome | None:
        if left == right:
            return Outcome.EQUAL
        if exact or abs(left - right) > self._apart:
            return Outcome.NOT_EQUAL
        return None

    def _against_percent(self, percent: Numeral, plain: Numeral) -> Outcome | None:
        """``n\\%`` against a plain value ``x``: equal to ``n/100``, and to ``n`` when both are
        integers (Math-Verify compares two integers' digits, percent sign or not) and ``n`` is
        not negative (``-12\\%`` is the negation of a percentage, which that rule skips)."""
        if plain.value == percent.value:
            integers = percent.shape is Shape.INTEGER and plain.exact
            whole = integers and plain.value.denominator == 1 and plain.value >= 0
            return Outcome.EQUAL if whole else None
        return self._compare(percent.value / 100, plain.value, exact=False)
