"""Format filter: split a response into its thinking span and its answer span.

Rules per template (a registry, so a new chat template is one entry):

``r1``
    Exactly one ``<think>`` … ``</think>`` span, then a non-empty answer span. When the
    request says ``think_in_prompt``, the opening tag was in the prompt, so the response must
    hold no ``<think>`` and exactly one ``</think>``. Only whitespace may precede ``<think>``.
``plain``
    No thinking span: the whole response, stripped, is the answer span; it must not be empty.

Each rule has two halves, so the service can find the answer span before it pays for the
rest: :func:`locate_spans` finds where the spans are from the ends of the response (cheap,
whatever its length); :func:`check_tags` counts the tags over the whole response. The filter
is the check, then the location: a response passes when neither gives a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reward_service.types import Reason, Template

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the spans of a response are: ``response[thinking]`` and the stripped ``answer``
    (slicing out a long thinking span costs a copy; only some callers need it)."""

    thinking: slice
    answer: str


@dataclass(frozen=True, slots=True)
class _Rule:
    check: Callable[[str, bool], Reason | None]
    """The tag counts over the whole response: a ``format.*`` reason, or None."""
    locate: Callable[[str, bool], Layout | Reason]
    """The spans found from the ends; exact when ``check`` passes."""


def _check_r1(response: str, think_in_prompt: bool) -> Reason | None:
    opens = response.count(THINK_OPEN)
    closes = response.count(THINK_CLOSE)
    if closes == 0:
        return Reason.FORMAT_MISSING_THINK_CLOSE
    if think_in_prompt:
        return Reason.FORMAT_MULTIPLE_THINK if opens > 0 or closes > 1 else None
    if opens == 0:
        return Reason.FORMAT_MISSING_THINK_OPEN
    return Reason.FORMAT_MULTIPLE_THINK if opens > 1 or closes > 1 else None


def _locate_r1(response: str, think_in_prompt: bool) -> Layout | Reason:
    close_at = response.rfind(THINK_CLOSE)
    if close_at < 0:
        return Reason.FORMAT_MISSING_THINK_CLOSE
    start = 0
    if not think_in_prompt:
        open_at = response.find(THINK_OPEN)
        if open_at < 0:
            return Reason.FORMAT_MISSING_THINK_OPEN
        if response[:open_at].strip():
            return Reason.FORMAT_TEXT_BEFORE_THINK
        start = open_at + len(THINK_OPEN)
    answer = response[close_at + len(THINK_CLOSE) :].strip()
    if not answer:
        return Reason.FORMAT_EMPTY_ANSWER
    return Layout(slice(start, close_at), answer)


def _check_plain(response: str, think_in_prompt: bool) -> Reason | None:
    return None


def _locate_plain(response: str, think_in_prompt: bool) -> Layout | Reason:
    answer = response.strip()
    return Layout(slice(0, 0), answer) if answer else Reason.FORMAT_EMPTY_ANSWER


RULES: dict[Template, _Rule] = {
    Template.R1: _Rule(_check_r1, _locate_r1),
    Template.PLAIN: _Rule(_check_plain, _locate_plain),
}


def opened_in_prompt(response: str, stated: bool | None) -> bool:
    """Whether the opening ``<think>`` was in the prompt: as the request ``stated``, else read
    from the response where that is unambiguous — a ``</think>`` with no ``<think>`` before it
    can only close a span the prompt opened (R1-distill and QwQ templates end the prompt with
    ``<think>``; trainers that pass no prompt cannot say so)."""
    if stated is not None:
        return stated
    close_at = response.find(THINK_CLOSE)
    return close_at >= 0 and response.find(THINK_OPEN, 0, close_at) < 0


def locate_spans(response: str, template: Template, think_in_prompt: bool) -> Layout | Reason:
    """Where the spans of ``response`` are, read from its ends only (no tag counting): exact
    when :func:`check_tags` passes. A reason here means the filter rejects the response, but
    the reason it gives is :func:`check_tags`'s when that has one."""
    return RULES[template].locate(response, think_in_prompt)


def check_tags(response: str, template: Template, think_in_prompt: bool) -> Reason | None:
    """The ``format.*`` reason the tag counts of ``response`` give, or None: the half of the
    filter that reads the whole response."""
    return RULES[template].check(response, think_in_prompt)
