"""Exact comparison of two numeric constants, for the worker (sympy in this process only).

Math-Verify compares two expressions without a float by ``(a - b).evalf(chop=True) == 0``:
``chop`` zeroes any difference below about ``10**-numeric_precision`` in absolute terms, so
very small numbers all look equal (``1/2004!`` and ``1/2006!``, ``10^{-20}`` and ``10^{-21}``).
Two constants written without a decimal point are exact, so they are decided exactly: rationals
(integers, fractions, powers, factorials) by comparing their values, other constants (roots,
``\\pi``) by their difference relative to their size. Answers with a decimal point keep
Math-Verify's rounding (``0.333333`` stated for ``1/3``), and percentages its reading.
"""

from __future__ import annotations

from typing import Any

from sympy import Expr, Float, UnevaluatedExpr


def _exact_constant(value: Any) -> bool:
    """A constant without a decimal point; percentages (``10\\%`` parses as ``10`` times an
    unevaluated ``1/100``) are left to Math-Verify, which equates ``10\\%`` and ``10``."""
    return (
        isinstance(value, Expr)
        and bool(value.is_number)
        and not value.has(Float)
        and not value.has(UnevaluatedExpr)
    )


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
