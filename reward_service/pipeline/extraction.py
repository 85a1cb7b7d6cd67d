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

from reward_service.pipeline.normalize import (
    QUALIFIER,
    canonical_answer,
    is_prose,
    to_halfwidth,
)

# Box openers whose content is the next brace group (\colorbox{red}{...}: the last group).
_BOX_OPEN = re.compile(
    r"\\(?:boxed|fbox|framebox)\s*\{"
    r"|\\colorbox\s*\{[^{}]*\}\s*\{|\\fcolorbox\s*\{[^{}]*\}\s*\{[^{}]*\}\s*\{"
)
# \boxed 4 or \boxed4: TeX takes one token as the argument.
_BARE_BOX = re.compile(r"\\(?:boxed|fbox)(?:\s+|(?=[0-9]))(\\[A-Za-z]+|[^\s{}\\$])")
_ANY_BOX = re.compile(r"\\[a-z]*box")
_BRACE = re.compile(r"(?<!\\)[{}]")
# Separators that may stand between boxes forming one list. Every alternative starts
# differently, so matching is linear (no backtracking blow-up on long runs).
_LIST_GAP = re.compile(
    r"(?:\s|[,;&$.]|\\[()\[\],;! ]|\\q?quad|\\text\s*\{\s*(?:and|or|,)?\s*\}|and|or|和|或|及)*",
    re.IGNORECASE,
)
_LIST_GAP_MAX_CHARS = 100
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
_SENTENCE_START = re.compile(r"[.。!?！？\n][^.。!?！？\n]*\Z")
_INLINE_MATH = re.compile(r"\$\$([^$]+)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]")
_MATH_OR_NUMBER = re.compile(r"[0-9$]|\\[(\[]|\\boxed")
# The only words a one-line statement may wrap its answer in.
_FILLER = frozenset(
    (
        "the a an answer final is are therefore thus so hence solution result value we "
        "get find found obtain have it this that equals our required its which gives "
        "yields then solving"
    ).split()
)
_WORDS = re.compile(r"[^\W\d_]+")
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


@dataclass(frozen=True, slots=True)
class _Box:
    start: int
    end: int
    content: str


def _boxes(text: str) -> list[_Box]:
    """The outermost boxes of ``text`` in order — braced ones matched in one pass over the
    braces — including brace-less ``\\boxed 4``, so no box escapes the hedging check."""
    openers = [(m.start(), m.end() - 1) for m in _BOX_OPEN.finditer(text)]
    found: list[_Box] = []
    if openers:
        closing: dict[int, int] = {}
        stack: list[int] = []
        for brace in _BRACE.finditer(text):
            if brace.group() == "{":
                stack.append(brace.start())
            elif stack:
                closing[stack.pop()] = brace.start()
        for start, opening in openers:
            end = closing.get(opening)
            if end is not None:
                found.append(_Box(start, end + 1, text[opening + 1 : end]))
    found += [_Box(m.start(), m.end(), m.group(1)) for m in _BARE_BOX.finditer(text)]
    outermost: list[_Box] = []
    covered_until = -1
    for box in sorted(found, key=lambda b: b.start):
        if box.start >= covered_until:  # else nested inside a box already taken
            outermost.append(box)
            covered_until = box.end
    return outermost


def _form_a_list(text: str, boxes: list[_Box]) -> bool:
    """True when only list separators (commas, "and"/"or", spacing, math delimiters) stand
    between consecutive boxes: ``\\boxed{1}, \\boxed{2}`` is the one answer ``1, 2``."""
    return all(
        right.start - left.end <= _LIST_GAP_MAX_CHARS
        and _LIST_GAP.fullmatch(text[left.end : right.start]) is not None
        for left, right in itertools.pairwise(boxes)
    )


class _Refused:
    """An anchor whose statement is qualified, hedged or followed by more numbers."""


REFUSED = _Refused()


def _anchored(text: str) -> str | _Refused | None:
    """The answer after the last anchor; :data:`REFUSED` when its sentence is qualified ("I
    don't think the answer is 3", "the answer is $3$ or $4$") or when more numbers or math
    follow it — the anchored statement must be the span's final word."""
    last = None
    for last in _ANCHOR.finditer(text):  # noqa: B007 - we want the last match
        pass
    if last is None:
        return None
    opening = _SENTENCE_START.search(text, 0, last.start())
    before = text[opening.start() + 1 if opening else 0 : last.start()]
    rest = text[last.end() :].lstrip(_ANCHOR_LEAD)
    block = _MATH_BLOCK.match(rest)
    if block is not None:
        answer = next(group for group in block.groups() if group is not None)
        after = rest[block.end() :]
    else:
        line = rest.split("\n", 1)[0]
        end = _SENTENCE_END.search(line)
        answer = line[: end.start()] if end is not None else line
        after = rest[len(answer) :]
    end = _SENTENCE_END.search(after)
    tail, beyond = (after[: end.start()], after[end.start() :]) if end else (after, "")
    if QUALIFIER.search(before) or QUALIFIER.search(tail) or _MATH_OR_NUMBER.search(tail):
        return REFUSED
    if QUALIFIER.search(answer) or _MATH_OR_NUMBER.search(beyond):
        return REFUSED
    return answer


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
        frozenset(canonical_answer(b.content) for b in _boxes(to_halfwidth(problem)))
        if problem and "box" in problem
        else frozenset()
    )
    boxes = _boxes(text)
    boxed = _distinct([b.content for b in boxes], quoted)
    if boxed:
        is_list = len(boxed) > 1 and _form_a_list(text, boxes)
        return Extraction(boxed, Source.BOXED, is_list)
    anchored = _anchored(text)
    if isinstance(anchored, _Refused):
        return None
    if anchored is not None:
        candidates = _distinct([anchored])
        return Extraction(candidates, Source.ANCHOR) if candidates else None
    stripped = text.strip()
    if _ANY_BOX.search(stripped) or "\n" in stripped:
        return None
    return _statement(stripped) or _bare(stripped)


def _statement(text: str) -> Extraction | None:
    """A one-line statement holding exactly one piece of math, wrapped only in filler words:
    "Therefore $x \\geq 5$ is the solution." states ``x \\geq 5``."""
    if len(text) > STATEMENT_MAX_CHARS:
        return None
    segments = _INLINE_MATH.findall(text)
    if len(segments) != 1:
        return None
    prose = _INLINE_MATH.sub(" ", text)
    if any(word.lower() not in _FILLER for word in _WORDS.findall(prose)):
        return None
    candidates = _distinct([next(g for g in segments[0] if g)])
    return Extraction(candidates, Source.STATEMENT) if candidates else None


def _bare(text: str) -> Extraction | None:
    """A short line of math without delimiters is the answer itself (answer-only outputs)."""
    if len(text) > BARE_MAX_CHARS or _INLINE_MATH.search(text) or is_prose(text):
        return None
    if QUALIFIER.search(text):
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
