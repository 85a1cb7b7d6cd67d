"""Property tests: the text stages never raise, stay bounded and are stable on their output."""

from hypothesis import given, settings
from hypothesis import strategies as st

from reward_service.pipeline.extraction import extract_answer
from reward_service.pipeline.normalize import canonical_answer
from reward_service.pipeline.repetition import is_repetitive
from reward_service.pipeline.spans import THINK_CLOSE, THINK_OPEN, Layout, check_tags, locate_spans
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


def one_pass(text: str, template: Template, in_prompt: bool) -> tuple[str, str] | Reason:
    """The format filter as one function, the way it read before it was split into halves."""
    if template is Template.PLAIN:
        return ("", text.strip()) if text.strip() else Reason.FORMAT_EMPTY_ANSWER
    opens, closes = text.count(THINK_OPEN), text.count(THINK_CLOSE)
    if closes == 0:
        return Reason.FORMAT_MISSING_THINK_CLOSE
    if in_prompt:
        if opens > 0 or closes > 1:
            return Reason.FORMAT_MULTIPLE_THINK
        start = 0
    else:
        if opens == 0:
            return Reason.FORMAT_MISSING_THINK_OPEN
        if opens > 1 or closes > 1:
            return Reason.FORMAT_MULTIPLE_THINK
        if text[: text.index(THINK_OPEN)].strip():
            return Reason.FORMAT_TEXT_BEFORE_THINK
        start = text.index(THINK_OPEN) + len(THINK_OPEN)
    close_at = text.index(THINK_CLOSE)
    answer = text[close_at + len(THINK_CLOSE) :].strip()
    return (text[start:close_at], answer) if answer else Reason.FORMAT_EMPTY_ANSWER


@given(TEXT, st.sampled_from(list(Template)), st.booleans())
def test_the_two_halves_are_the_format_filter(
    text: str, template: Template, in_prompt: bool
) -> None:
    """Check then locate gives the one-pass filter's outcome; and the location alone (what the
    plan reads) is the filter's spans whenever the filter accepts, a rejection when it rejects."""
    expected = one_pass(text, template, in_prompt)
    checked = check_tags(text, template, in_prompt)
    located = locate_spans(text, template, in_prompt)
    if checked is not None:
        assert checked == expected
    elif isinstance(located, Reason):
        assert located == expected
    else:
        assert (text[located.thinking], located.answer) == expected
    if not isinstance(expected, Reason):
        assert isinstance(located, Layout)
        assert located.answer == located.answer.strip() and located.answer
    if isinstance(located, Reason):
        assert isinstance(expected, Reason)


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
