import pytest

from reward_service.cache.records import (
    ResultRecord,
    Undecodable,
    decode_decision,
    decode_result,
    encode_decision,
    encode_result,
)
from reward_service.types import Reason, Route, Status, Verdict
from reward_service.verdicts import Decision


def test_round_trips() -> None:
    decision = Decision(
        Verdict.PARTIAL, Reason.ANSWER_SOME_PARTS_WRONG, (Verdict.CORRECT, None), 0.5
    )
    assert decode_decision(encode_decision(decision)) == decision
    record = ResultRecord(
        Status.SCORED,
        Verdict.PARTIAL,
        Reason.ANSWER_SOME_PARTS_WRONG,
        Route.SYMBOLIC,
        "hint",
        "3; 4",
        ((Verdict.CORRECT, "3"), (None, "4")),
        0.5,
        None,
    )
    assert decode_result(encode_result(record)) == record


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not json",
        "[]",
        '{"v": 99}',
        '{"v": 1}',
        '{"v": 1, "verdict": "maybe", "reason": "x", "parts": null, "fraction": 0}',
    ],
)
def test_garbage_is_undecodable(garbage: str) -> None:
    with pytest.raises(Undecodable):
        decode_decision(garbage)
    with pytest.raises(Undecodable):
        decode_result(garbage)
