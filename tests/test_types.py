import pytest
from pydantic import ValidationError

from reward_service.types import (
    PartResult,
    Provenance,
    Reason,
    Route,
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
