"""Exact comparison of two numeric constants, for the worker (sympy in this process only).

Math-Verify compares two expressions without a float by ``(a - b).evalf(chop=True) == 0``:
``chop`` zeroes any difference below about ``10**-numeric_precision`` in absolute terms, so
very small numbers all look equal (``1/2004!`` and ``1/2006!``, ``10^{-20}`` and ``10^{-21}``).
Two constants written without a decimal point are exact, so they are decided exactly: rationals
(integers, fractions, powers, factorials) by comparing their values, other constants (roots,
``\\pi``) by their difference relative to their size. Answers with a decimal point keep
Math-Verify's rounding (``0.333333`` stated for ``1/3``) within a relative band: that rounding
is to a fixed number of decimals, so every number below ``5·10^-7`` rounded to 0 and
``0.0000001`` equalled ``\\frac{1}{3\\cdot 10^{6}}``; numbers more than 1 % apart are never one
answer rounded. Percentages keep Math-Verify's reading.
"""

from __future__ import annotations

from typing import Any

from sympy import Expr, Float, Rational, UnevaluatedExpr

from reward_service.verifiers.numerals import RELATIVE_GAP

_GAP = Rational(RELATIVE_GAP.numerator, RELATIVE_GAP.denominator)


def _constant(value: Any) -> bool:
    """A number, with or without a decimal point, that is not a percentage."""
    return isinstance(value, Expr) and bool(value.is_number) and not value.has(UnevaluatedExpr)


def _exact_constant(value: Any) -> bool:
    """A constant without a decimal point; percentages (``10\\%`` parses as ``10`` times an
    unevaluated ``1/100``) are left to Math-Verify, which equates ``10\\%`` and ``10``."""
    return _constant(value) and not value.has(Float)


def rational_verdict(gold: Any, answer: Any) -> bool | None:
    """Equal or not when both sides are exact rational constants; None otherwise (or when
    sympy cannot evaluate them)."""
    if not (_exact_constant(gold) and _exact_constant(answer)):
        return None
    try:
        g, a = gold.doit(), answer.doit()
    except Exception:  # sympy could not evaluate one side: leave it to Math-Verify
        return None
    if g.is_Rational and a.is_Rational:
        return bool(g == a)
    return None


def differ(gold: Any, answer: Any, precision: int) -> bool:
    """True when two exact constants evidently differ: their difference, computed with
    ``precision + 10`` significant digits, exceeds ``10**-precision`` of their size."""
    if not (_exact_constant(gold) and _exact_constant(answer)):
        return False
    digits = precision + 10
    try:
        difference = abs((gold - answer).evalf(digits))
        size = max(abs(gold.evalf(digits)), abs(answer.evalf(digits)))
        return bool(size != 0 and difference > size * Float(10) ** -precision)
    except Exception:  # not comparable as real magnitudes: no veto
        return False


def far_apart(gold: Any, answer: Any) -> bool:
    """True when two numbers, one of them written with a decimal point, are more than 1 %
    apart relative to the larger (``0.0000001`` and ``\\frac{1}{3\\cdot 10^{6}}``): no
    rounding makes them one answer, whatever Math-Verify's absolute rounding says."""
    if not (_constant(gold) and _constant(answer)) or not (gold.has(Float) or answer.has(Float)):
        return False
    try:
        g, a = gold.evalf(30), answer.evalf(30)
        if not (g.is_real and a.is_real):
            return False
        return bool(abs(g - a) > _GAP * max(abs(g), abs(a)))
    except Exception:  # not comparable as real magnitudes: no veto
        return False
