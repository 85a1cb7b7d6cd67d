"""Routing: which checker decides a request — symbolic or the LLM judge.

Precedence: the request's explicit hint > configured ``data_source`` rules (glob patterns, first
match wins) > the shape of the gold answer. Shape: a multi-part gold, or a gold that is prose
(see ``normalize.is_prose``), goes to the judge; anything else is a single verifiable
expression and goes to the symbolic verifier.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reward_service.pipeline.normalize import is_prose
from reward_service.types import Route, RouteHint, ScoreRequest

_HINTS: dict[RouteHint, Route] = {RouteHint.SYMBOLIC: Route.SYMBOLIC, RouteHint.JUDGE: Route.JUDGE}


@dataclass(frozen=True, slots=True)
class RouteDecision:
    route: Route
    reason: str
    """``hint``, ``rule:<pattern>``, ``gold_shape`` or ``cascade:<reason>``."""


def route_by_gold(golds: Sequence[Sequence[str]]) -> Route:
    """Route by shape, given the canonical accepted golds of each part."""
    if len(golds) > 1 or any(is_prose(g) for g in golds[0]):
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
