"""Units and counter words after a number: dropped from a lone number, never converted."""

import pytest

from reward_service.pipeline.extraction import extract_answer
from reward_service.pipeline.normalize import canonical_answer
from reward_service.pipeline.units import without_unit


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("8 m", "8"),
        ("8\\,\\mathrm{m}", "8"),
        ("8\\ \\text{m}", "8"),
        ("8cm²", "8"),
        ("8 cm^2", "8"),
        ("1.5 kg", "1.5"),
        ("8 m/s", "8"),
        ("8 km", "8"),  # dropped, not converted to 8000
        ("8米", "8"),
        ("6种", "6"),
        ("6 个", "6"),
        ("\\frac{1}{2}千克", "\\frac{1}{2}"),
        # not a unit of the lists, or not set apart from the number: unchanged
        ("3m", "3m"),
        ("2h", "2h"),
        ("5 A", "5 A"),  # an option letter, not an ampere
        ("8 apples", "8 apples"),
        ("x m", "x m"),
        ("8 + 2 m", "8 + 2 m"),
    ],
)
def test_without_unit(text: str, number: str) -> None:
    assert without_unit(text) == number


@pytest.mark.parametrize(
    ("answer", "canonical"),
    [("8\\,\\mathrm{m}", "8"), ("8米", "8"), ("8cm²", "8"), ("8000 m", "8000"), ("3元", "3")],
)
def test_units_are_dropped_in_canonical_answers(answer: str, canonical: str) -> None:
    assert canonical_answer(answer) == canonical


@pytest.mark.parametrize(
    ("span", "candidates"),
    [
        ("共有6种", ("6",)),
        ("所以共有6种。", ("6",)),
        ("\\boxed{8米}", ("8",)),
        ("答案：8 cm", ("8",)),
        ("因此，共有6种不同的排法。", ("6",)),
        ("所以有6个人。", ("6",)),
        ("所以有6种之一。", None),  # a part of the count
        ("这个故事里有 5 个人。", None),  # a description: a counted noun needs a conclusion
        ("所以有6个多。", None),  # a bound
        ("第6种", None),  # an ordinal, stated as nothing
        ("约有6种", None),  # an estimate
        ("至少有6种", None),  # a bound
    ],
)
def test_counter_words_after_a_stated_number(span: str, candidates: tuple[str, ...] | None) -> None:
    extraction = extract_answer(span)
    assert (extraction.candidates if extraction else None) == candidates
