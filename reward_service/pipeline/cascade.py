"""The symbolic-then-judge cascade: which symbolic results the LLM judge decides instead.

With a judge configured and ``judge.cascade`` on, a request routed to the symbolic verifier by
a ``data_source`` rule or by its gold's shape, whose answer the symbolic side could not read
or decide, is decided by the judge instead of being scored incorrect or unscorable. Its result
says so: route ``judge``, ``route_reason`` ``cascade:<the symbolic reason>``, and the judge's
own verdict and reason (a judge that is down gives ``unscorable/judge_unavailable``, masked,
like any judge-routed request).

Only "could not read or decide" cascades (:data:`CASCADING`). What the response did and is
already a clear penalty never does — a hedge (several different answers), an answer taken back
or second-guessed after its box, an answer too large or too slow to check — or a policy would
get a second chance at the judge by hedging. An explicit ``route: symbolic`` hint never
cascades either: it asks for the symbolic verifier only.

Some causes are known before any comparison (no stated answer, a gold the reader refuses, an
answer that cannot be split into the gold's blanks): those requests are judge work from the
start (:func:`cascades_before`). The others are known once the verifier has tried
(:func:`cascades_after`): the symbolic work then carries the judge question to ask
(``SymbolicWork.fallback``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reward_service.pipeline.normalize import is_prose
from reward_service.pipeline.routing import RouteDecision
from reward_service.types import Reason, Route, RouteHint, ScoreRequest
from reward_service.verdicts import Decision

if TYPE_CHECKING:
    from reward_service.pipeline.prepare import Prepared, SymbolicWork

CASCADING: frozenset[Reason] = frozenset(
    {
        # A prose answer: the reader found no box, anchor or concluding statement in an
        # answer span that has no box at all (a box it discarded is a retraction: no cascade).
        Reason.ANSWER_MISSING,
        # An answer stated where the reader looks but that the verifier cannot parse: words,
        # an option letter with its text, notation Math-Verify does not read.
        Reason.ANSWER_UNPARSABLE,
        # A gold the symbolic reader refuses (text, several boxes that are no list, notation
        # Math-Verify cannot parse): the judge reads the gold as written.
        Reason.INVALID_GOLD,
        # sympy raised while comparing: the verifier could not decide, it did not say "wrong".
        Reason.VERIFIER_ERROR,
        # One answer the reader could not split into the gold's blanks (several answers of
        # the wrong count are the response's doing: no cascade).
        Reason.ANSWER_PARTS_MISMATCH,
    }
)
"""Symbolic reasons the judge decides instead (and :data:`CASCADING_IF_PROSE`). Never
cascaded: ``answer.hedged``, ``too_large`` and ``timeout`` (response faults, already
penalised), ``answer.not_equivalent`` on an answer in symbols (decided), ``worker_lost`` and
``internal_error`` (infrastructure: masked, and a judge is no spare verifier pool in an
outage)."""

CASCADING_IF_PROSE: frozenset[Reason] = frozenset(
    {
        # An answer in words (``normalize.is_prose``: CJK, or several words) that the verifier
        # parsed as a product of symbols and found "not equal": it never read the answer.
        Reason.ANSWER_NOT_EQUIVALENT,
    }
)
"""Symbolic reasons the judge decides instead when every candidate answer is prose."""

_BOX_COMMAND = re.compile(r"\\[a-z]*box")
"""Any box command (``\\boxed``, ``\\fbox``, ``\\colorbox``, …), closed or not: the same
test the reader applies before it gives up on a span that has one."""


def cascade_route(reason: Reason) -> RouteDecision:
    """The route of a request cascaded from the symbolic side for ``reason``."""
    return RouteDecision(Route.JUDGE, f"cascade:{reason.value}")


def may_cascade(request: ScoreRequest) -> bool:
    """False when the request asks for the symbolic verifier only (``route: symbolic``)."""
    return request.route is not RouteHint.SYMBOLIC


def cascades_before(stage: Prepared, answer_span: str) -> bool:
    """Whether a decision made before any comparison goes to the judge: a cascading reason
    on a symbolic route (or before routing, for a refused gold), and not a response fault."""
    if stage.reason not in CASCADING:
        return False
    if stage.route is not None and stage.route.route is not Route.SYMBOLIC:
        return False
    if stage.reason is Reason.ANSWER_MISSING:
        return _BOX_COMMAND.search(answer_span) is None
    if stage.reason is Reason.ANSWER_PARTS_MISMATCH:
        return stage.extraction is not None and len(stage.extraction.candidates) == 1
    return True


def cascades_after(work: SymbolicWork, decision: Decision) -> bool:
    """Whether symbolic work the verifier tried goes to the judge: it carries a judge question
    (``fallback``), every blank got exactly one answer, and its decision has a cascading
    reason (or says "not equal" to an answer in words). Several boxes to one blank never
    cascade, even read as one list: the reader joins ``\\boxed{a} or \\boxed{b}`` too, and
    an unreadable hedge must stay a penalty."""
    if work.fallback is None or any(len(part.candidates) != 1 for part in work.parts):
        return False
    if decision.reason in CASCADING_IF_PROSE:
        return all(is_prose(part.candidates[0]) for part in work.parts)
    return decision.reason in CASCADING
