"""Combine comparison outcomes into a decision: the correctness stage's verdict for a request.

Three-valued logic: a candidate answer is right, wrong, or undecided (timeout, crashed worker,
unparsable gold). Undecided never becomes ``incorrect``: it becomes ``unscorable`` with a reason,
unless a decided part already settles the verdict (one wrong candidate sinks a hedge).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reward_service.types import Reason, Verdict
from reward_service.verifiers.outcome import Outcome

_UNDECIDED_REASON: dict[Outcome, Reason] = {
    Outcome.GOLD_UNPARSABLE: Reason.INVALID_GOLD,
    Outcome.TIMEOUT: Reason.TIMEOUT,
    Outcome.ERROR: Reason.VERIFIER_ERROR,
    Outcome.WORKER_LOST: Reason.WORKER_LOST,
}
# When several comparisons are undecided, the most actionable reason is reported.
_REASON_PRIORITY = (
    Reason.INVALID_GOLD,
    Reason.WORKER_LOST,
    Reason.TIMEOUT,
    Reason.VERIFIER_ERROR,
)


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict (None when undecided) and its reason; ``part_verdicts`` for multi-part golds."""

    verdict: Verdict | None
    reason: Reason
    part_verdicts: tuple[Verdict | None, ...] | None = None
    fraction_correct: float = 0.0


Lookup = Callable[[str, str], Outcome]
"""(gold, candidate) → outcome of that comparison."""


def _worst(reasons: Sequence[Reason]) -> Reason:
    return min(reasons, key=_REASON_PRIORITY.index)


def _judge_candidate(golds: Sequence[str], candidate: str, outcome: Lookup) -> Decision:
    outcomes = [outcome(gold, candidate) for gold in golds]
    if Outcome.EQUAL in outcomes:
        return Decision(Verdict.CORRECT, Reason.ANSWER_EQUIVALENT)
    undecided = [_UNDECIDED_REASON[o] for o in outcomes if o in _UNDECIDED_REASON]
    if undecided:
        return Decision(None, _worst(undecided))
    if all(o is Outcome.ANSWER_UNPARSABLE for o in outcomes):
        return Decision(Verdict.INCORRECT, Reason.ANSWER_UNPARSABLE)
    return Decision(Verdict.INCORRECT, Reason.ANSWER_NOT_EQUIVALENT)


def decide_part(
    golds: Sequence[str], candidates: Sequence[str], outcome: Lookup, joined: str | None = None
) -> Decision:
    """One blank: correct if the candidates read together as one list answer (``joined``)
    match, or if every candidate on its own matches one of the accepted golds (a restatement
    such as ``1/2`` and ``0.5``). Otherwise several candidates are hedging: incorrect."""
    as_list = _judge_candidate(golds, joined, outcome) if joined is not None else None
    if as_list is not None and as_list.verdict is Verdict.CORRECT:
        return as_list
    decisions = [_judge_candidate(golds, c, outcome) for c in candidates]
    if all(d.verdict is Verdict.CORRECT for d in decisions):
        return Decision(Verdict.CORRECT, Reason.ANSWER_EQUIVALENT)
    wrong = [d for d in decisions if d.verdict is Verdict.INCORRECT]
    list_wrong = as_list is None or as_list.verdict is Verdict.INCORRECT
    if wrong and list_wrong:
        if any(d.verdict is Verdict.CORRECT for d in decisions):
            return Decision(Verdict.INCORRECT, Reason.ANSWER_HEDGED)
        return wrong[-1]
    undecided = [d.reason for d in decisions if d.verdict is None]
    if as_list is not None and as_list.verdict is None:
        undecided.append(as_list.reason)
    return Decision(None, _worst(undecided))


def combine_parts(parts: Sequence[Decision]) -> Decision:
    """A multi-part answer: all correct ⇒ correct, none ⇒ incorrect, some ⇒ partial."""
    if len(parts) == 1:
        return parts[0]
    verdicts = tuple(p.verdict for p in parts)
    undecided = [p.reason for p in parts if p.verdict is None]
    if undecided:
        return Decision(None, _worst(undecided), verdicts)
    correct = sum(v is Verdict.CORRECT for v in verdicts)
    fraction = correct / len(parts)
    if correct == len(parts):
        return Decision(Verdict.CORRECT, Reason.ANSWER_EQUIVALENT, verdicts, 1.0)
    if correct == 0:
        return Decision(Verdict.INCORRECT, Reason.ANSWER_NOT_EQUIVALENT, verdicts, 0.0)
    return Decision(Verdict.PARTIAL, Reason.ANSWER_SOME_PARTS_WRONG, verdicts, fraction)
