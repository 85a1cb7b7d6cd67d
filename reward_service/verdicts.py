"""Combine comparison outcomes into a decision: the correctness stage's verdict for a request.

Three-valued logic: a candidate answer is right, wrong, or undecided (timeout, crashed worker,
unparsable gold). Undecided never becomes ``incorrect``: it becomes ``unscorable`` with a reason,
unless a decided part already settles the verdict (one wrong candidate sinks a hedge).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reward_service.blame import DEFAULT_BLAME, MASK_PRIORITY
from reward_service.types import Blame, Reason, Verdict
from reward_service.verifiers.outcome import Outcome

_UNDECIDED: dict[Outcome, tuple[Reason, Blame]] = {
    Outcome.GOLD_UNPARSABLE: (Reason.INVALID_GOLD, Blame.DATA),
    Outcome.TIMEOUT: (Reason.TIMEOUT, Blame.RESPONSE),
    Outcome.ERROR: (Reason.VERIFIER_ERROR, Blame.RESPONSE),
    Outcome.DEADLINE: (Reason.TIMEOUT, Blame.INFRASTRUCTURE),
    Outcome.WORKER_LOST: (Reason.WORKER_LOST, Blame.INFRASTRUCTURE),
}
# When several comparisons are undecided, the cause that masks wins, then the most
# actionable reason.
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
    blame: Blame | None = None
    """Who made an undecided decision undecided; None: the reason's default cause."""

    @property
    def cause(self) -> Blame:
        """The blame of an undecided decision, defaulted from its reason."""
        if self.blame is not None:
            return self.blame
        return DEFAULT_BLAME.get(self.reason, Blame.INFRASTRUCTURE)


Lookup = Callable[[str, str], Outcome]
"""(gold, candidate) → outcome of that comparison."""


def _undecided(decisions: Sequence[Decision]) -> Decision:
    """The one undecided decision to report among several."""
    worst = min(
        decisions,
        key=lambda d: (
            MASK_PRIORITY[d.cause],
            _REASON_PRIORITY.index(d.reason) if d.reason in _REASON_PRIORITY else 99,
        ),
    )
    return Decision(None, worst.reason, blame=worst.cause)


def _judge_candidate(golds: Sequence[str], candidate: str, outcome: Lookup) -> Decision:
    outcomes = [outcome(gold, candidate) for gold in golds]
    if Outcome.EQUAL in outcomes:
        return Decision(Verdict.CORRECT, Reason.ANSWER_EQUIVALENT)
    undecided = [
        Decision(None, reason, blame=blame)
        for reason, blame in (_UNDECIDED[o] for o in outcomes if o in _UNDECIDED)
    ]
    if undecided:
        return _undecided(undecided)
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
    undecided = [d for d in decisions if d.verdict is None]
    if as_list is not None and as_list.verdict is None:
        undecided.append(as_list)
    return _undecided(undecided)


def combine_parts(parts: Sequence[Decision]) -> Decision:
    """A multi-part answer: all correct ⇒ correct, none ⇒ incorrect, some ⇒ partial."""
    if len(parts) == 1:
        return parts[0]
    verdicts = tuple(p.verdict for p in parts)
    undecided = [p for p in parts if p.verdict is None]
    if undecided:
        worst = _undecided(undecided)
        return Decision(None, worst.reason, verdicts, blame=worst.blame)
    correct = sum(v is Verdict.CORRECT for v in verdicts)
    fraction = correct / len(parts)
    if correct == len(parts):
        return Decision(Verdict.CORRECT, Reason.ANSWER_EQUIVALENT, verdicts, 1.0)
    if correct == 0:
        return Decision(Verdict.INCORRECT, Reason.ANSWER_NOT_EQUIVALENT, verdicts, 0.0)
    return Decision(Verdict.PARTIAL, Reason.ANSWER_SOME_PARTS_WRONG, verdicts, fraction)
