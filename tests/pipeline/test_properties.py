"""Property tests: the text stages never raise, stay bounded and are stable on their output."""

from hypothesis import given, settings
from hypothesis import strategies as st

from reward_service.pipeline.extraction import extract_answer
from reward_service.pipeline.normalize import canonical_answer
from reward_service.pipeline.repetition import is_repetitive
from reward_service.pipeline.spans import Spans, split_spans
from reward_service.settings import RepetitionSettings
from reward_service.types import Reason, Template

# Text biased towards the characters the stages react to.
SPECIAL = [
    "\\boxed{",
    "<think>",
    "</think>",
    *"{}\\$<>/()[],;:.。，：答案是为 0123456789xyπ\n\t\x00",
]
ALPHABET = st.sampled_from(SPECIAL)
TEXT = st.lists(st.one_of(ALPHABET, st.characters()), max_size=400).map("".join)


@given(TEXT, st.sampled_from(list(Template)), st.booleans())
def test_split_spans_is_total(text: str, template: Template, in_prompt: bool) -> None:
    outcome = split_spans(text, template, in_prompt)
    assert isinstance(outcome, Spans | Reason)
    if isinstance(outcome, Spans):
        assert outcome.answer == outcome.answer.strip() and outcome.answer


@given(TEXT, st.one_of(st.none(), TEXT))
def test_extraction_is_total_and_canonical(text: str, problem: str | None) -> None:
    extraction = extract_answer(text, problem)
    if extraction is not None:
        assert extraction.candidates
        assert len(set(extraction.candidates)) == len(extraction.candidates)
        for candidate in extraction.candidates:
            assert candidate and canonical_answer(candidate) == candidate


@given(TEXT)
def test_canonical_answer_is_idempotent(text: str) -> None:
    once = canonical_answer(text)
    assert canonical_answer(once) == once


@settings(max_examples=50)
@given(st.text(max_size=5000))
def test_repetition_filter_is_total(text: str) -> None:
    assert isinstance(is_repetitive(text, RepetitionSettings()), bool)
