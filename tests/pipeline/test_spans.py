import pytest

from reward_service.pipeline.spans import Layout, check_tags, locate_spans
from reward_service.types import Reason, Template

R1 = Template.R1
PLAIN = Template.PLAIN
MULTIPLE = Reason.FORMAT_MULTIPLE_THINK


def split(response: str, template: Template, in_prompt: bool) -> tuple[str, str] | Reason:
    """The format filter: the tag counts, then the location; the spans as text."""
    rejected = check_tags(response, template, in_prompt)
    if rejected is not None:
        return rejected
    layout = locate_spans(response, template, in_prompt)
    return layout if isinstance(layout, Reason) else (response[layout.thinking], layout.answer)


@pytest.mark.parametrize(
    ("response", "template", "in_prompt", "expected"),
    [
        ("<think>reason</think>answer", R1, False, ("reason", "answer")),
        ("  \n<think>reason</think>\n answer \n", R1, False, ("reason", "answer")),
        ("<think></think>42", R1, False, ("", "42")),
        ("reason</think>answer", R1, True, ("reason", "answer")),
        ("reason without close", R1, True, Reason.FORMAT_MISSING_THINK_CLOSE),
        ("<think>reason without close", R1, False, Reason.FORMAT_MISSING_THINK_CLOSE),
        ("reason</think>answer", R1, False, Reason.FORMAT_MISSING_THINK_OPEN),
        ("<think>a</think><think>b</think>answer", R1, False, Reason.FORMAT_MULTIPLE_THINK),
        ("<think>a</think>b</think>answer", R1, False, Reason.FORMAT_MULTIPLE_THINK),
        ("<think>again</think>answer", R1, True, Reason.FORMAT_MULTIPLE_THINK),
        ("a</think>b</think>answer", R1, True, Reason.FORMAT_MULTIPLE_THINK),
        ("preamble <think>r</think>answer", R1, False, Reason.FORMAT_TEXT_BEFORE_THINK),
        ("<think>reason</think>   \n ", R1, False, Reason.FORMAT_EMPTY_ANSWER),
        ("reason</think>", R1, True, Reason.FORMAT_EMPTY_ANSWER),
        ("the whole thing", PLAIN, False, ("", "the whole thing")),
        ("  \n ", PLAIN, False, Reason.FORMAT_EMPTY_ANSWER),
        ("", R1, False, Reason.FORMAT_MISSING_THINK_CLOSE),
    ],
)
def test_format_filter(
    response: str, template: Template, in_prompt: bool, expected: object
) -> None:
    assert split(response, template, in_prompt) == expected


@pytest.mark.parametrize(
    ("response", "in_prompt", "located", "checked"),
    [
        ("<think>r</think> a ", False, Layout(slice(7, 8), "a"), None),
        ("r</think>a", True, Layout(slice(0, 1), "a"), None),
        # located from the ends: the tag counts alone see the extra tags
        ("<think>a</think>b</think>c", False, Layout(slice(7, 17), "c"), MULTIPLE),
        ("<think>a<think>b</think>c", False, Layout(slice(7, 16), "c"), MULTIPLE),
        ("<think>a</think>", False, Reason.FORMAT_EMPTY_ANSWER, None),
        ("a</think>b", False, Reason.FORMAT_MISSING_THINK_OPEN, Reason.FORMAT_MISSING_THINK_OPEN),
        ("x<think>a</think>b", False, Reason.FORMAT_TEXT_BEFORE_THINK, None),
        ("<think>a", False, Reason.FORMAT_MISSING_THINK_CLOSE, Reason.FORMAT_MISSING_THINK_CLOSE),
    ],
)
def test_the_two_halves_of_the_r1_rule(
    response: str, in_prompt: bool, located: object, checked: object
) -> None:
    assert locate_spans(response, R1, in_prompt) == located
    assert check_tags(response, R1, in_prompt) == checked
