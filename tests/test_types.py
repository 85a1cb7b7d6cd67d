import pytest
from pydantic import ValidationError

from reward_service.types import (
    GoldParts,
    PartResult,
    Provenance,
    Reason,
    Route,
    ScoreRequest,
    ScoreResult,
    Status,
    Verdict,
    construct_trusted,
)

VALUES = {
    "id": "a",
    "status": Status.SCORED,
    "verdict": Verdict.PARTIAL,
    "reason": Reason.ANSWER_SOME_PARTS_WRONG,
    "reward": 0.5,
    "route": Route.SYMBOLIC,
    "route_reason": "hint",
    "extracted_answer": "3; 4",
    "parts": [PartResult(index=0, verdict=Verdict.CORRECT, extracted_answer="3")],
    "cached": True,
    "elapsed_ms": 1.5,
    "detail": None,
    "provenance": Provenance(
        service_version="1",
        verifier_versions={"math-verify": "0"},
        judge_model=None,
        config_hash="h",
    ),
    "blame": None,
}


def test_a_trusted_result_is_the_validated_one() -> None:
    assert list(VALUES) == list(ScoreResult.model_fields)  # every field, in order
    trusted = construct_trusted(ScoreResult, dict(VALUES))
    validated = ScoreResult.model_validate(VALUES)
    assert trusted == validated
    assert trusted.model_dump() == validated.model_dump()
    assert trusted.model_dump_json() == validated.model_dump_json()
    assert trusted.model_fields_set == validated.model_fields_set
    assert trusted.model_copy(update={"cached": False}).cached is False
    with pytest.raises(ValidationError):
        trusted.cached = False  # frozen like any other


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("plain ascii", "plain ascii"),
        ("答案是 $\\frac{1}{2}$ 😀", "答案是 $\\frac{1}{2}$ 😀"),
        ("lone \udfff low", "lone \ufffd low"),
        ("\ud800high at the start", "\ufffdhigh at the start"),
        ("中文\ud83d", "中文\ufffd"),
    ],
)
def test_lone_surrogates_are_replaced_and_valid_text_kept(text: str, clean: str) -> None:
    gold = {"parts": [text, [text, "x"]]}
    request = ScoreRequest.model_validate(
        {"id": text, "response": text, "gold": gold, "problem": text}
    )
    assert request.response == request.problem == request.id == clean
    assert request.gold == GoldParts(parts=[clean, [clean, "x"]])
    request.response.encode("utf-8")  # nothing downstream meets an unencodable string
