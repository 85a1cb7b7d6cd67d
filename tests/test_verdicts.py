import pytest

from reward_service.types import Reason, Verdict
from reward_service.verdicts import Decision, combine_parts, decide_part
from reward_service.verifiers.outcome import Outcome

EQ, NE, AU, GU, TO, ER = (
    Outcome.EQUAL,
    Outcome.NOT_EQUAL,
    Outcome.ANSWER_UNPARSABLE,
    Outcome.GOLD_UNPARSABLE,
    Outcome.TIMEOUT,
    Outcome.ERROR,
)


def table(outcomes: dict[tuple[str, str], Outcome]):  # type: ignore[no-untyped-def]
    return lambda gold, candidate: outcomes[(gold, candidate)]


@pytest.mark.parametrize(
    ("golds", "candidates", "joined", "outcomes", "verdict", "reason"),
    [
        (["g"], ["a"], None, {("g", "a"): EQ}, Verdict.CORRECT, Reason.ANSWER_EQUIVALENT),
        (["g"], ["a"], None, {("g", "a"): NE}, Verdict.INCORRECT, Reason.ANSWER_NOT_EQUIVALENT),
        (["g"], ["a"], None, {("g", "a"): AU}, Verdict.INCORRECT, Reason.ANSWER_UNPARSABLE),
        (["g"], ["a"], None, {("g", "a"): TO}, None, Reason.TIMEOUT),
        (["g"], ["a"], None, {("g", "a"): ER}, None, Reason.VERIFIER_ERROR),
        (["g"], ["a"], None, {("g", "a"): GU}, None, Reason.INVALID_GOLD),
        # accepted alternatives: one match is enough, an undecided one blocks "incorrect"
        (
            ["g", "h"],
            ["a"],
            None,
            {("g", "a"): NE, ("h", "a"): EQ},
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
        ),
        (["g", "h"], ["a"], None, {("g", "a"): NE, ("h", "a"): TO}, None, Reason.TIMEOUT),
        # hedging: every candidate must be right
        (
            ["g"],
            ["a", "b"],
            None,
            {("g", "a"): EQ, ("g", "b"): NE},
            Verdict.INCORRECT,
            Reason.ANSWER_HEDGED,
        ),
        (
            ["g"],
            ["a", "b"],
            None,
            {("g", "a"): EQ, ("g", "b"): EQ},
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
        ),
        (["g"], ["a", "b"], None, {("g", "a"): EQ, ("g", "b"): TO}, None, Reason.TIMEOUT),
        (
            ["g"],
            ["a", "b"],
            None,
            {("g", "a"): NE, ("g", "b"): TO},
            Verdict.INCORRECT,
            Reason.ANSWER_NOT_EQUIVALENT,
        ),
        # a list written as several boxes
        (
            ["g"],
            ["a", "b"],
            "a, b",
            {("g", "a"): NE, ("g", "b"): NE, ("g", "a, b"): EQ},
            Verdict.CORRECT,
            Reason.ANSWER_EQUIVALENT,
        ),
        (
            ["g"],
            ["a", "b"],
            "a, b",
            {("g", "a"): EQ, ("g", "b"): NE, ("g", "a, b"): NE},
            Verdict.INCORRECT,
            Reason.ANSWER_HEDGED,
        ),
        (
            ["g"],
            ["a", "b"],
            "a, b",
            {("g", "a"): NE, ("g", "b"): NE, ("g", "a, b"): TO},
            None,
            Reason.TIMEOUT,
        ),
    ],
)
def test_decide_part(
    golds: list[str],
    candidates: list[str],
    joined: str | None,
    outcomes: dict[tuple[str, str], Outcome],
    verdict: Verdict | None,
    reason: Reason,
) -> None:
    decision = decide_part(golds, candidates, table(outcomes), joined)
    assert (decision.verdict, decision.reason) == (verdict, reason)


C = Decision(Verdict.CORRECT, Reason.ANSWER_EQUIVALENT)
W = Decision(Verdict.INCORRECT, Reason.ANSWER_NOT_EQUIVALENT)
U = Decision(None, Reason.TIMEOUT)


@pytest.mark.parametrize(
    ("parts", "verdict", "reason", "fraction"),
    [
        ([C, C], Verdict.CORRECT, Reason.ANSWER_EQUIVALENT, 1.0),
        ([W, W], Verdict.INCORRECT, Reason.ANSWER_NOT_EQUIVALENT, 0.0),
        ([C, W, C, W], Verdict.PARTIAL, Reason.ANSWER_SOME_PARTS_WRONG, 0.5),
        ([C, U], None, Reason.TIMEOUT, 0.0),
    ],
)
def test_combine_parts(
    parts: list[Decision], verdict: Verdict | None, reason: Reason, fraction: float
) -> None:
    decision = combine_parts(parts)
    assert (decision.verdict, decision.reason, decision.fraction_correct) == (
        verdict,
        reason,
        fraction,
    )
    assert decision.part_verdicts == tuple(p.verdict for p in parts)
