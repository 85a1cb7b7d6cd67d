"""Answer extraction: the final answer(s) a response commits to, from its answer span only.

Order of precedence, first that finds something wins:

1. ``\\boxed{…}`` / ``\\fbox{…}`` (nested braces matched, outermost boxes only). Every distinct
   box is a candidate, in order; several different ones for one blank is hedging, which the
   service checks (all must be right) rather than trusting the last.
2. The last answer anchor: ``故答案为``, ``答案为``, ``答案是``, ``最终答案``, ``【答案】``, ``答案：``,
   ``final answer is``, ``the answer is``, ``Answer:`` — the rest of that line is the answer.
3. A bare answer: the whole span, when it is one short line (the ``plain`` template for answer-only
   outputs, or an R1 answer span that is just the answer).

There is deliberately no "last number in the text" fallback: it rewards truncated traces.
Full-width forms are mapped to ASCII first. Linear in the span length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from reward_service.pipeline.normalize import canonical_answer, to_halfwidth

_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BRACE = re.compile(r"(?<!\\)[{}]")
_ANCHOR = re.compile(
    r"故答案为|答案为|答案是|最终答案|【答案】|答案:|"
    r"final answer is|the answer is|(?:^|\n)\s*\**answer\**\s*:",
    re.IGNORECASE,
)
_ANCHOR_LEAD = " \t:：是为*$"
_MATH_SEGMENT = re.compile(r"\$([^$]+)\$")
BARE_MAX_CHARS = 80


class Source(StrEnum):
    BOXED = "boxed"
    ANCHOR = "anchor"
    BARE = "bare"


@dataclass(frozen=True, slots=True)
class Extraction:
    """Distinct canonical candidates, in order of appearance; the last is the final one."""

    candidates: tuple[str, ...]
    source: Source

    @property
    def final(self) -> str:
        return self.candidates[-1]


def _boxed_contents(text: str) -> list[str]:
    """Contents of the outermost ``\\boxed{}`` groups, matched in one pass over the braces."""
    starts = [m.end() - 1 for m in _BOX.finditer(text)]
    if not starts:
        return []
    closing: dict[int, int] = {}
    stack: list[int] = []
    for brace in _BRACE.finditer(text):
        if brace.group() == "{":
            stack.append(brace.start())
        elif stack:
            closing[stack.pop()] = brace.start()
    contents: list[str] = []
    covered_until = -1
    for start in starts:
        end = closing.get(start)
        if end is None or start < covered_until:
            continue  # unclosed, or nested inside a box already taken
        contents.append(text[start + 1 : end])
        covered_until = end
    return contents


def _anchored(text: str) -> str | None:
    last = None
    for last in _ANCHOR.finditer(text):  # noqa: B007 - we want the last match
        pass
    if last is None:
        return None
    line = text[last.end() :].lstrip(_ANCHOR_LEAD).split("\n", 1)[0]
    segments = _MATH_SEGMENT.findall(line)
    if len(segments) == 1:
        return segments[0]
    return line


def _distinct(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        canonical = canonical_answer(value)
        if canonical:
            seen.setdefault(canonical, None)
    return tuple(seen)


def extract_answer(answer_span: str) -> Extraction | None:
    """The final answer candidates of an answer span, or None when it commits to no answer."""
    text = to_halfwidth(answer_span)
    boxed = _distinct(_boxed_contents(text))
    if boxed:
        return Extraction(boxed, Source.BOXED)
    anchored = _anchored(text)
    if anchored is not None:
        candidates = _distinct([anchored])
        return Extraction(candidates, Source.ANCHOR) if candidates else None
    stripped = text.strip()
    if len(stripped) <= BARE_MAX_CHARS and "\n" not in stripped:
        candidates = _distinct([stripped])
        if candidates:
            return Extraction(candidates, Source.BARE)
    return None


_OPENERS = {"(": ")", "[": "]", "{": "}"}
_SEPARATORS = (";", ",")


def split_parts(answer: str, count: int) -> tuple[str, ...] | None:
    """Split one answer into ``count`` blanks at top-level ``;`` (else ``,``) separators, or
    None when it does not have exactly that many. Bracketed groups such as ``(1, 2)`` stay
    whole."""
    for separator in _SEPARATORS:
        pieces: list[str] = []
        depth = 0
        start = 0
        for index, char in enumerate(answer):
            if char in _OPENERS:
                depth += 1
            elif char in _OPENERS.values():
                depth = max(0, depth - 1)
            elif char == separator and depth == 0:
                pieces.append(answer[start:index])
                start = index + 1
        pieces.append(answer[start:])
        canonical = tuple(canonical_answer(p) for p in pieces)
        if len(canonical) == count and all(canonical):
            return canonical
    return None
