"""Format filter: split a response into its thinking span and its answer span.

Rules per template (a registry, so a new chat template is one function):

``r1``
    Exactly one ``<think>`` … ``</think>`` span, then a non-empty answer span. When the
    request says ``think_in_prompt``, the opening tag was in the prompt, so the response must
    hold no ``<think>`` and exactly one ``</think>``. Only whitespace may precede ``<think>``.
``plain``
    No thinking span: the whole response, stripped, is the answer span; it must not be empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reward_service.types import Reason, Template

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


@dataclass(frozen=True, slots=True)
class Spans:
    thinking: str
    answer: str


SpanSplitter = Callable[[str, bool], "Spans | Reason"]


def _split_r1(response: str, think_in_prompt: bool) -> Spans | Reason:
    opens = response.count(THINK_OPEN)
    closes = response.count(THINK_CLOSE)
    if closes == 0:
        return Reason.FORMAT_MISSING_THINK_CLOSE
    if think_in_prompt:
        if opens > 0 or closes > 1:
            return Reason.FORMAT_MULTIPLE_THINK
        start = 0
    else:
        if opens == 0:
            return Reason.FORMAT_MISSING_THINK_OPEN
        if opens > 1 or closes > 1:
            return Reason.FORMAT_MULTIPLE_THINK
        open_at = response.index(THINK_OPEN)
        if response[:open_at].strip():
            return Reason.FORMAT_TEXT_BEFORE_THINK
        start = open_at + len(THINK_OPEN)
    close_at = response.index(THINK_CLOSE)
    answer = response[close_at + len(THINK_CLOSE) :].strip()
    if not answer:
        return Reason.FORMAT_EMPTY_ANSWER
    return Spans(thinking=response[start:close_at], answer=answer)


def _split_plain(response: str, think_in_prompt: bool) -> Spans | Reason:
    answer = response.strip()
    if not answer:
        return Reason.FORMAT_EMPTY_ANSWER
    return Spans(thinking="", answer=answer)


SPLITTERS: dict[Template, SpanSplitter] = {
    Template.R1: _split_r1,
    Template.PLAIN: _split_plain,
}


def split_spans(response: str, template: Template, think_in_prompt: bool) -> Spans | Reason:
    """The thinking and answer spans of ``response``, or the ``format.*`` reason it fails."""
    return SPLITTERS[template](response, think_in_prompt)
