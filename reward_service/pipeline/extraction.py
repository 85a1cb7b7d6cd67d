"""Answer extraction: the final answer(s) a response commits to, from its answer span only.

Order of precedence, first that finds something wins:

1. ``\\boxed{…}`` / ``\\fbox{…}`` (nested braces matched, outermost boxes only). Every distinct
   box is a candidate, in order. Several different ones for one blank are one list answer
   when only separators stand between them (``\\boxed{1}, \\boxed{2}`` → ``1, 2``), and are
   checked both ways; otherwise they are hedging and every one must be right. The service
   never simply trusts the last box.
2. The last answer anchor: ``故答案为``, ``答案为``, ``答案是``, ``最终答案``, ``【答案】``,
   ``答案：``, ``final answer is``, ``the answer is``, ``Answer:`` / ``Answer`` opening a line —
   then the math that immediately follows it (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``),
   else the rest of that sentence. Math further along the sentence is not taken: in "the answer is
   not $3$" the answer is not ``3``.
3. A one-line statement (≤ 200 characters) holding exactly one piece of math and no negation
   or hedge ("Therefore $x \\geq 5$ is the solution."): that math.
4. A bare answer: the whole span, when it is one short line of math without delimiters and
   not prose (the ``plain`` template for answer-only outputs, or an R1 answer span that is
   just the answer).

There is deliberately no "last number in the text" fallback: it rewards truncated traces.
Full-width forms are mapped to ASCII first. Linear in the span length.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import StrEnum

from reward_service.pipeline.normalize import canonical_answer, is_prose, to_halfwidth

_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BRACE = re.compile(r"(?<!\\)[{}]")
_LIST_GAP = re.compile(
    r"(?:\s|[,;&$.]|\\[()\[\],;! ]|\\q?quad|\\text\s*\{\s*(?:and|or|,)?\s*\}|and|or|和|或|及|,)*",
    re.IGNORECASE,
)
_ANCHOR = re.compile(
    r"故答案为|答案为|答案是|最终答案|【答案】|答案:|"
    r"final answer is|the answer is|\banswer\s*:|(?:^|\n)[ \t]*\**answer\b\**",
    re.IGNORECASE,
)
_ANCHOR_LEAD = " \t\r\n:：是为*"
# Right after an anchor: a display block (may span lines) or inline math (one line)...
_MATH_BLOCK = re.compile(
    r"\$\$([^$]{1,2000}?)\$\$|\\\[(.{1,2000}?)\\\]|\\\(([^\n]{1,2000}?)\\\)|\$([^$\n]{1,2000})\$",
    re.DOTALL,
)
# ...else the rest of the sentence on that line.
_SENTENCE_END = re.compile(r"(?<!\d)\.(?=\s|$)|\.\s|。|\n")
_INLINE_MATH = re.compile(r"\$\$([^$]+)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]")
_NEGATION_OR_HEDGE = re.compile(
    r"\b(?:not|no|isn't|never|cannot|can't|wrong|incorrect|except|or|either|maybe|perhaps|"
    r"possibly|might|unless)\b|不|非|没|无|错|或|可能",
    re.IGNORECASE,
)
BARE_MAX_CHARS = 80
STATEMENT_MAX_CHARS = 200


class Source(StrEnum):
    BOXED = "boxed"
    ANCHOR = "anchor"
    STATEMENT = "statement"
    BARE = "bare"


@dataclass(frozen=True, slots=True)
class Extraction:
    """Distinct canonical candidates, in order of appearance; the last is the final one."""

    candidates: tuple[str, ...]
    source: Source
    is_list: bool = False
    """Several boxes written as one list (see ``_form_a_list``)."""

    @property
    def final(self) -> str:
        return self.candidates[-1]

    @property
    def joined(self) -> str | None:
        """The candidates as one list answer, when they were written as one."""
        return list_answer(self.candidates) if self.is_list else None


def list_answer(candidates: tuple[str, ...]) -> str:
    """Several answers read together as one list answer."""
    return ", ".join(candidates)


def _boxes(text: str) -> list[tuple[int, int]]:
    """(start, end) of the outermost ``\\boxed{…}`` groups — ``text[start:end]`` is the whole
    box, ``text[brace + 1 : end - 1]`` its content — matched in one pass over the braces."""
    starts = [(m.start(), m.end() - 1) for m in _BOX.finditer(text)]
    if not starts:
        return []
    closing: dict[int, int] = {}
    stack: list[int] = []
    for brace in _BRACE.finditer(text):
        if brace.group() == "{":
            stack.append(brace.start())
        elif stack:
            closing[stack.pop()] = brace.start()
    boxes: list[tuple[int, int]] = []
    covered_until = -1
    for start, opening in starts:
        end = closing.get(opening)
        if end is None or start < covered_until:
            continue  # unclosed, or nested inside a box already taken
        boxes.append((start, end + 1))
        covered_until = end
    return boxes


def _box_content(text: str, box: tuple[int, int]) -> str:
    start, end = box
    return text[text.index("{", start) + 1 : end - 1]


def _boxed_contents(text: str) -> list[str]:
    return [_box_content(text, box) for box in _boxes(text)]


def _form_a_list(text: str, boxes: list[tuple[int, int]]) -> bool:
    """True when only list separators (commas, "and"/"or", spacing, math delimiters) stand
    between consecutive boxes: ``\\boxed{1}, \\boxed{2}`` is the one answer ``1, 2``."""
    return all(
        _LIST_GAP.fullmatch(text[left[1] : right[0]]) is not None
        for left, right in itertools.pairwise(boxes)
    )


def _anchored(text: str) -> str | None:
    last = None
    for last in _ANCHOR.finditer(text):  # noqa: B007 - we want the last match
        pass
    if last is None:
        return None
    rest = text[last.end() :].lstrip(_ANCHOR_LEAD)
    block = _MATH_BLOCK.match(rest)
    if block is not None:
        return next(group for group in block.groups() if group is not None)
    line = rest.split("\n", 1)[0]
    end = _SENTENCE_END.search(line)
    return line[: end.start()] if end is not None else line


def _distinct(values: list[str], exclude: frozenset[str] = frozenset()) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        canonical = canonical_answer(value)
        if canonical and canonical not in exclude:
            seen.setdefault(canonical, None)
    return tuple(seen)


def extract_answer(answer_span: str, problem: str | None = None) -> Extraction | None:
    """The final answer candidates of an answer span, or None when it commits to no answer.

    Boxes whose content also appears boxed in ``problem`` are quotations of the problem (a
    "fill in the box" question), not answers, and are ignored.
    """
    text = to_halfwidth(answer_span)
    quoted = (
        frozenset(canonical_answer(c) for c in _boxed_contents(to_halfwidth(problem)))
        if problem and "box" in problem
        else frozenset()
    )
    boxes = _boxes(text)
    boxed = _distinct([_box_content(text, box) for box in boxes], quoted)
    if boxed:
        is_list = len(boxed) > 1 and _form_a_list(text, boxes)
        return Extraction(boxed, Source.BOXED, is_list)
    anchored = _anchored(text)
    if anchored is not None:
        candidates = _distinct([anchored])
        return Extraction(candidates, Source.ANCHOR) if candidates else None
    stripped = text.strip()
    if _BOX.search(stripped) or "\n" in stripped:
        return None
    return _statement(stripped) or _bare(stripped)


def _statement(text: str) -> Extraction | None:
    """A one-line statement holding exactly one piece of math, with no negation or hedge
    around it: "Therefore $x \\geq 5$ is the solution." states ``x \\geq 5``."""
    if len(text) > STATEMENT_MAX_CHARS:
        return None
    segments = _INLINE_MATH.findall(text)
    if len(segments) != 1:
        return None
    prose = _INLINE_MATH.sub(" ", text)
    if _NEGATION_OR_HEDGE.search(prose):
        return None
    candidates = _distinct([next(g for g in segments[0] if g)])
    return Extraction(candidates, Source.STATEMENT) if candidates else None


def _bare(text: str) -> Extraction | None:
    """A short line of math without delimiters is the answer itself (answer-only outputs)."""
    if len(text) > BARE_MAX_CHARS or _INLINE_MATH.search(text) or is_prose(text):
        return None
    candidates = _distinct([text])
    return Extraction(candidates, Source.BARE) if candidates else None


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
