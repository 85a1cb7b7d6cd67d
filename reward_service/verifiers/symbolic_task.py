"""The function that runs inside a verifier worker process: parse both sides with Math-Verify
and compare them. Imported by workers only; everything sympy stays in this process."""

from __future__ import annotations

import logging
import resource
from functools import lru_cache
from typing import Any

from math_verify import LatexExtractionConfig, parse, verify

from reward_service.verifiers.outcome import Outcome

# Both sides arrive as canonical answer text and are wrapped in \boxed{}, so only the boxed
# pattern may match: no "last number in the text" extraction can happen here.
_EXTRACTION = (LatexExtractionConfig(boxed_match_priority=0, try_extract_without_anchor=False),)


def init_worker(memory_mb: int) -> None:
    """Worker start-up: cap the address space and silence Math-Verify's per-call warnings."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.CRITICAL)


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


def check(
    gold: str, answer: str, float_rounding: int, numeric_precision: int, strict: bool
) -> Outcome:
    """Compare two canonical answers; the gold's parse is cached per worker."""
    parsed_gold = _parse_gold(gold)
    if not parsed_gold:
        return Outcome.GOLD_UNPARSABLE
    parsed_answer = _parse(answer)
    if not parsed_answer:
        return Outcome.ANSWER_UNPARSABLE
    equal = verify(
        list(parsed_gold),
        parsed_answer,
        float_rounding=float_rounding,
        numeric_precision=numeric_precision,
        strict=strict,
        timeout_seconds=None,
    )
    return Outcome.EQUAL if equal else Outcome.NOT_EQUAL
