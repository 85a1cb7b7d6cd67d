"""The function that runs inside a verifier worker process: parse both sides with Math-Verify
and compare them. Imported by workers only; everything sympy stays in this process."""

from __future__ import annotations

import logging
import resource
from functools import lru_cache
from typing import Any

from latex2sympy2_extended.latex2sympy2 import NormalizationConfig
from math_verify import LatexExtractionConfig, parse, verify
from sympy import And, Eq, FiniteSet, Indexed, Interval, Symbol, Tuple, Union, simplify
from sympy.core.function import AppliedUndef
from sympy.core.relational import Relational

from reward_service.verifiers.exact_numbers import differ, far_apart, rational_verdict
from reward_service.verifiers.numerals import distinct_numerals, same_numeral
from reward_service.verifiers.outcome import Outcome

# Both sides arrive as canonical answer text and are wrapped in \boxed{}, so only the boxed
# pattern may match: no "last number in the text" extraction can happen here. Unit stripping
# is off: Math-Verify's deletes everything from the first \text{...} to the end ("3 cm, 4 cm"
# became 3); units are removed in canonical_answer instead.
_EXTRACTION = (
    LatexExtractionConfig(
        boxed_match_priority=0,
        try_extract_without_anchor=False,
        normalization_config=NormalizationConfig(
            basic_latex=True,
            units=False,
            malformed_operators=True,
            nits=True,
            boxed="all",
            equations=False,
        ),
    ),
)


def init_worker(memory_mb: int) -> None:
    """Worker start-up: cap the address space and silence Math-Verify's per-call warnings."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    quiet_logs()


def quiet_logs() -> None:
    """Silence Math-Verify's per-call warnings (e.g. that its own timeouts are off)."""
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.CRITICAL)


_WARM_UP = (
    ("\\frac{1}{2}", "0.5", Outcome.EQUAL),
    ("(x+1)^2", "x^2+2x+2", Outcome.NOT_EQUAL),
)
"""Comparisons through the parser, numeric and symbolic comparison, with known outcomes."""


def warm_up() -> None:
    """Run :data:`_WARM_UP`; raise if an outcome is not the known one."""
    for gold, answer, expected in _WARM_UP:
        if check(gold, answer, 6, 15, True) is not expected:
            raise RuntimeError(f"the verifier compares {gold} and {answer} wrongly")


def probe() -> None:
    """Run in each new worker before it takes work: the warm-up comparisons must come out
    right."""
    warm_up()


def _parse(answer: str) -> list[Any]:
    # Timeouts are the parent's job (it kills this process); Math-Verify's own signal.alarm
    # timeouts would turn a slow parse into a silent "not equal".
    result: list[Any] = parse(
        "\\boxed{" + answer + "}",
        extraction_config=_EXTRACTION,
        fallback_mode="no_fallback",
        parsing_timeout=None,
    )
    return result


@lru_cache(maxsize=4096)
def _parse_gold(gold: str) -> tuple[Any, ...]:
    return tuple(_parse(gold))


def _is_range(expr: Any) -> bool:
    return isinstance(expr, Interval | Union | Relational | And)


def _equalities(expr: Any) -> list[Any]:
    if isinstance(expr, Eq):
        return [expr]
    if isinstance(expr, And):
        return [arg for arg in expr.args if isinstance(arg, Eq)]
    return []


def _assigns(lhs: Any) -> bool:
    if isinstance(lhs, Tuple):
        return all(_assigns(item) for item in lhs)
    return isinstance(lhs, Symbol | AppliedUndef | Indexed)


def _holds(equation: Any) -> bool:
    """An assignment (``x = 5``, ``(x, y) = (1, 2)``) or an equation that is true
    (``\\sqrt{4} = 2``)."""
    if _assigns(equation.lhs):
        return True
    try:
        return bool(simplify(equation.lhs - equation.rhs) == 0)
    except Exception:  # sympy cannot subtract these (sets, matrices of other shapes, ...)
        return False


def comparable(gold: Any, answer: Any) -> bool:
    """Shapes Math-Verify would equate but a grader must not:

    - a finite set against an interval or inequality ({3, 4} is not 3 < x < 4, nor (3, 4));
    - an equation against a plain value, unless each equality in it holds: Math-Verify
      compares only the last right-hand side, so "2 + 2 = 5" and "x = 4 = 3" matched 5 and 3,
      while "\\sqrt{4} = 2" or "x = 2" stating 2 is fine.
    """
    if isinstance(answer, FiniteSet) and _is_range(gold):
        return False
    if isinstance(gold, FiniteSet) and _is_range(answer):
        return False
    equalities = _equalities(answer)
    if equalities and not isinstance(gold, Relational | And):
        return all(_holds(eq) for eq in equalities)
    return True


def check(
    gold: str,
    answer: str,
    float_rounding: int,
    numeric_precision: int,
    strict: bool,
    relation_as_set: bool = False,
) -> Outcome:
    """Compare two canonical answers; the gold's parse is cached per worker. A comparison that
    raises inside sympy is :attr:`Outcome.ERROR` (unscorable), unless another reading of the
    two answers is equal: Math-Verify's ``raise_on_error=False`` would make it "not equal"."""
    if gold.count("'") != answer.count("'"):  # primes (f' is not f) are lost in parsing
        return Outcome.NOT_EQUAL
    if same_numeral(gold, answer):
        return Outcome.EQUAL
    if distinct_numerals(gold, answer):
        return Outcome.NOT_EQUAL
    parsed_gold = _parse_gold(gold)
    if not parsed_gold:
        return Outcome.GOLD_UNPARSABLE
    parsed_answer = _parse(answer)
    if not parsed_answer:
        return Outcome.ANSWER_UNPARSABLE
    failed = False
    for g in parsed_gold:
        for a in parsed_answer:
            if not comparable(g, a) or far_apart(g, a):
                continue
            exact = rational_verdict(g, a)
            if exact is not None:
                if exact:
                    return Outcome.EQUAL
                continue
            try:
                if verify(
                    g,
                    a,
                    float_rounding=float_rounding,
                    numeric_precision=numeric_precision,
                    strict=strict,
                    allow_set_relation_comp=relation_as_set,
                    timeout_seconds=None,
                    raise_on_error=True,
                ) and not differ(g, a, numeric_precision):
                    return Outcome.EQUAL
            except Exception:  # sympy could not compare this pair: undecided, not "not equal"
                failed = True
    return Outcome.ERROR if failed else Outcome.NOT_EQUAL
