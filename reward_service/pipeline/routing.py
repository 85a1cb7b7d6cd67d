"""Routing: which checker decides a request — symbolic or the LLM judge.

Precedence: the request's explicit hint > configured ``data_source`` rules (glob patterns, first
match wins) > the shape of the gold answer. Shape: a multi-part gold, or a gold that is prose
(any CJK character, or two or more words of three letters or more outside LaTeX commands,
environment names and ``\\text{}``), goes to the judge; anything else is a single verifiable expression and goes to
the symbolic verifier.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reward_service.types import Route, RouteHint, ScoreRequest

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATEX_TEXT = re.compile(r"\\(?:text|mathrm|textbf|mbox)\s*\{[^{}]*\}")
_LATEX_COMMAND = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}|\\[A-Za-z]+")
_WORD = re.compile(r"[A-Za-z]{3,}")
_HINTS: dict[RouteHint, Route] = {RouteHint.SYMBOLIC: Route.SYMBOLIC, RouteHint.JUDGE: Route.JUDGE}


@dataclass(frozen=True, slots=True)
class RouteDecision:
    route: Route
    reason: str
    """``hint``, ``rule:<pattern>`` or ``gold_shape``."""


def is_free_form(gold: str) -> bool:
    """True when a gold answer is prose rather than one mathematical expression."""
    if _CJK.search(gold):
        return True
    bare = _LATEX_COMMAND.sub(" ", _LATEX_TEXT.sub(" ", gold))
    return len(_WORD.findall(bare)) >= 2


def route_by_gold(golds: Sequence[Sequence[str]]) -> Route:
    """Route by shape, given the canonical accepted golds of each part."""
    if len(golds) > 1 or any(is_free_form(g) for g in golds[0]):
        return Route.JUDGE
    return Route.SYMBOLIC


def decide_route(
    request: ScoreRequest, golds: Sequence[Sequence[str]], rules: Mapping[str, str]
) -> RouteDecision:
    """The route for ``request`` (whose canonical golds per part are ``golds``) and why."""
    hinted = _HINTS.get(request.route)
    if hinted is not None:
        return RouteDecision(hinted, "hint")
    if request.data_source is not None:
        for pattern, route in rules.items():
            if fnmatch.fnmatchcase(request.data_source, pattern):
                return RouteDecision(Route(route), f"rule:{pattern}")
    return RouteDecision(route_by_gold(golds), "gold_shape")
