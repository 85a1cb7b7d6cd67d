import pytest

from reward_service.pipeline.spans import Spans, split_spans
from reward_service.types import Reason, Template

R1 = Template.R1
PLAIN = Template.PLAIN


@pytest.mark.parametrize(
    ("response", "template", "in_prompt", "expected"),
    [
        ("<think>reason</think>answer", R1, False, Spans("reason", "answer")),
        ("  \n<think>reason</think>\n answer \n", R1, False, Spans("reason", "answer")),
        ("<think></think>42", R1, False, Spans("", "42")),
        ("reason</think>answer", R1, True, Spans("reason", "answer")),
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
        ("the whole thing", PLAIN, False, Spans("", "the whole thing")),
        ("  \n ", PLAIN, False, Reason.FORMAT_EMPTY_ANSWER),
        ("", R1, False, Reason.FORMAT_MISSING_THINK_CLOSE),
    ],
)
def test_split_spans(response: str, template: Template, in_prompt: bool, expected: object) -> None:
    assert split_spans(response, template, in_prompt) == expected
