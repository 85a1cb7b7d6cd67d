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
3. A stated value: the final sentence, when the span is that one short sentence or when it
   opens with a conclusion ("Therefore", "So,", "Final Answer:", "所以", …) and is complete.
   The value is the one piece of math or number after its last copula ("is", "=", "是"), else
   the only one in the sentence (names such as ``$n$`` or ``$(x, y)$`` do not count). A value
   the sentence rejects ("not 10") is dropped; any other negation or hedge refuses the sentence.
4. A bare answer: the whole span, when it is one short line of math without delimiters and
   not prose (the ``plain`` template for answer-only outputs, or an R1 answer span that is
   just the answer).

The answer ends at a chat-template token (``<|im_start|>``: the model went on to invent the
next turn); a closing sign-off "I hope it is correct." is not a sentence of the answer.
There is deliberately no "last number in the text" fallback: it rewards truncated traces, so a
multi-sentence span is read only through a complete, concluding final sentence.
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
_ANCHOR_LEAD = ' \t\r\n:：是为*"“'
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
_ANSWER_END = re.compile(r"<\|(?:im_start|im_end|endoftext|eot_id|end_of_text|end)\|>|</s>")
# The sign-off of the Minerva answer format ("The final answer is $5$. I hope it is correct."):
# it closes the answer; commentary after it does not make the answer a hedge.
_SIGN_OFF = re.compile(r"\s*(?:I hope it is correct\.?|<eoa>)\s*\Z", re.IGNORECASE)
_SIGN_OFF_AT = re.compile(r"[.\s]*I hope it is correct\b", re.IGNORECASE)
# The opening of a concluding sentence; English forms are capitalised, as a sentence opens.
_CONCLUSION = re.compile(
    r"(?:(?<=^)|(?<=[\s.!?:]))(?:So|Therefore|Thus|Hence|Consequently|In (?:conclusion|summary)"
    r"|Final Answer\s*:)(?=[\s,:])|所以|因此|综上所述|综上|故"
)
_SENTENCE_BREAK = re.compile(r"[.!?](?=\s)|[。！？]|\n")
_COMPLETE = re.compile(r"[.!?。！？]\s*\Z")
# A number outside math, with a percent sign; "2nd" is an ordinal, not a value.
_NUMBER = re.compile(
    r"(?<![\w.,/\\^_])-?\d++(?:[.,]\d++)*+(?:/\d++)?+(?:\s*(?:\\?%|percent\b))?+"
    r"(?!(?:st|nd|rd|th)\b)"
)
# What rejects the value right after it: "not 10", "isn't equal to 3", "不是 5".
_REJECTION = re.compile(
    r"(?:\bnot|n't|\bnever|不是|不等于|不为)\s*(?:(?:equal|equals|be|to)\s+)*\Z", re.IGNORECASE
)
_COPULA = re.compile(r"\b(?:is|are|was|were|equals?|be|becomes?)\b|'s\b|=|是|为|等于")
# What makes a sentence state the value after it: a copula, a colon, or a verb of finding.
_ASSERTS = re.compile(
    _COPULA.pattern + r"|[:：]|\b(?:find|finds|found|get|gets|got|obtain|obtains|obtained|have|has"
    r"|gives?|yields?)\b|得"
)
# A name rather than a value: "$n$", "$ABCD$", "$f(x)$", "$P(A)$", "$(x, y)$", "$x_1$".
_NAME = re.compile(
    r"[A-Za-z]{1,12}(?:_\{?\w{1,3}\}?)?(?:\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])*\s*\))?"
    r"|\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])+\s*\)"
)
_DIGIT = re.compile(r"\d")
_LATEX_WORDS = re.compile(
    r"\\(?:begin|end)\s*\{[^{}]*\}|\\(?:text|mathrm|mbox)\s*\{[^{}]*\}|\\[A-Za-z]+"
)
_WORD_OUTSIDE_LATEX = re.compile(r"[^\W\d_]{3,}")
_WORD_ANY = re.compile(r"[^\W\d_]+")
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


def _final_run(text: str, boxes: list[_Box]) -> list[_Box]:
    """The last boxes of ``text`` with only list separators (commas, "and"/"or", spacing,
    math delimiters) between them: ``\\boxed{1}, \\boxed{2}`` is the one answer ``1, 2``."""
    start = len(boxes) - 1
    while start > 0:
        left, right = boxes[start - 1], boxes[start]
        if (
            right.start - left.end > _LIST_GAP_MAX_CHARS
            or _LIST_GAP.fullmatch(text[left.end : right.start]) is None
        ):
            break
        start -= 1
    return boxes[start:]


_CONNECTOR = re.compile(r"\band\b|[,;]|和|及", re.IGNORECASE)
_LISTED_GAP_MAX_CHARS = 40
_OR = re.compile(r"\bor\b|或", re.IGNORECASE)


def listed_boxes(text: str) -> tuple[str, ...] | None:
    """The canonical contents of the boxes of ``text`` when they list several answers: each
    gap between boxes is short, holds a connector and no negation or hedge other than "or"
    ("\\boxed{1} papers and \\boxed{2} bins"; not "\\boxed{1} so, no, \\boxed{2}").
    None when there are fewer than two boxes or any gap is something else."""
    text = to_halfwidth(text)
    boxes = _boxes(text)
    if len(boxes) < 2:
        return None
    for left, right in itertools.pairwise(boxes):
        gap = text[left.end : right.start]
        if (
            len(gap) > _LISTED_GAP_MAX_CHARS
            or not _CONNECTOR.search(gap)
            or QUALIFIER.search(_OR.sub(" ", gap))
        ):
            return None
    return _distinct([b.content for b in boxes])


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
    signed = _SIGN_OFF_AT.match(beyond)
    if signed is not None:  # "… is $5$. I hope it is correct.": the answer closed there
        beyond = ""
    if QUALIFIER.search(before) or QUALIFIER.search(tail) or _MATH_OR_NUMBER.search(tail):
        return REFUSED
    if QUALIFIER.search(answer) or _MATH_OR_NUMBER.search(beyond):
        return REFUSED
    if block is None and is_prose(answer):
        # "Final Answer: The largest $n$ is 34": the value the sentence states, if any
        return stated_value(answer) or answer
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
    end = _ANSWER_END.search(text)
    if end is not None:
        text = text[: end.start()]
    quoted = (
        frozenset(canonical_answer(b.content) for b in _boxes(to_halfwidth(problem)))
        if problem and "box" in problem
        else frozenset()
    )
    boxes = _boxes(text)
    boxed = _distinct([b.content for b in boxes], quoted)
    if boxed:
        # an anchored final answer after the last box restates or supersedes the boxes
        after = _anchored(text[boxes[-1].end :])
        if isinstance(after, str) and (restated := _distinct([after])):
            return Extraction(restated, Source.ANCHOR)
        # several boxes are one list answer when the final run of boxes holds all of them
        run = _final_run(text, boxes)
        is_list = len(boxed) > 1 and set(_distinct([b.content for b in run], quoted)) == set(boxed)
        return Extraction(boxed, Source.BOXED, is_list)
    anchored = _anchored(text)
    if isinstance(anchored, str):
        candidates = _distinct([anchored])
        return Extraction(candidates, Source.ANCHOR) if candidates else None
    # no anchor, or a qualified one ("答案: a = 1 或 a = -3 … 因此，a = 1。"): a concluding
    # final sentence may still state the answer
    stripped = _SIGN_OFF.sub("", text).strip()
    if _ANY_BOX.search(stripped):
        return None
    return _bare(stripped) or _statement(stripped)


def _statement(text: str) -> Extraction | None:
    """The value stated by the span's final sentence: a complete final sentence opening with a
    conclusion ("Therefore, there are 12 sequences."), else the span when it is one short line
    that asserts a value ("The sum is $A + B$", "Here is a zero matrix: $0$", "$E$")."""
    last = None
    for last in _CONCLUSION.finditer(text):  # noqa: B007 - we want the last match
        pass
    if last is not None:
        sentence = text[last.start() :].strip()
        if (
            len(sentence) > STATEMENT_MAX_CHARS
            or not _COMPLETE.search(sentence)
            or _SENTENCE_BREAK.search(sentence.rstrip(".!?。！？ \t\r\n"))
        ):
            return None  # not its last sentence, or cut off mid-sentence
        value = stated_value(sentence)
    elif "\n" not in text and len(text) <= STATEMENT_MAX_CHARS:
        value = stated_value(text, asserted=False)
    else:
        return None
    candidates = _distinct([value]) if value is not None else ()
    return Extraction(candidates, Source.STATEMENT) if candidates else None


@dataclass(frozen=True, slots=True)
class _Value:
    start: int
    end: int
    text: str
    is_math: bool


def stated_value(sentence: str, *, asserted: bool = True) -> str | None:
    """The one value a prose sentence states, or None.

    Values are pieces of math and numbers. One the sentence rejects ("not 10") is dropped;
    any other negation or hedge (see :data:`QUALIFIER`) refuses the whole sentence. The value
    is the one after the last copula ("the number is not 10, it is 1,000.99"), else the only
    one that is not a name ("Jane started 3 hours ago"); several mean no answer. Unless the
    sentence is ``asserted`` (it follows an anchor or opens with a conclusion), the value must
    follow a copula or a colon, or be all the sentence says but a word ("$28$ percent"): "we
    compute 3" states no answer.
    """
    values = [
        _Value(m.start(), m.end(), next(g for g in m.groups() if g is not None), True)
        for m in _INLINE_MATH.finditer(sentence)
    ]
    masked = _INLINE_MATH.sub(lambda m: " " * len(m.group()), sentence)
    values += [_Value(m.start(), m.end(), m.group(), False) for m in _NUMBER.finditer(masked)]
    values.sort(key=lambda v: v.start)
    kept: list[_Value] = []
    prose = list(masked)
    for value in values:
        rejection = _REJECTION.search(masked, max(0, value.start - 40), value.start)
        start = rejection.start() if rejection is not None else value.start
        prose[start : value.end] = " " * (value.end - start)
        if rejection is None:
            kept.append(value)
    words = "".join(prose)
    if QUALIFIER.search(words):
        return None
    copula = None
    for copula in _COPULA.finditer(words):  # noqa: B007 - we want the last match
        pass
    if copula is not None:
        after = [v for v in kept if v.start >= copula.end()]
        if after:
            return after[0].text if len(after) == 1 else None
    named = [v for v in kept if not (v.is_math and _NAME.fullmatch(v.text.strip()))]
    if not named:  # "$E$": a name is the value when it is all the sentence states
        named = kept
    if len(named) != 1:
        return None
    value = named[0]
    if (
        not asserted
        and not _ASSERTS.search(words, 0, value.start)
        and len(_WORD_ANY.findall(words)) > 1
    ):
        return None
    return value.text


def _bare(text: str) -> Extraction | None:
    """A short line of math without delimiters is the answer itself (answer-only outputs)."""
    if len(text) > BARE_MAX_CHARS or "\n" in text or _INLINE_MATH.search(text) or is_prose(text):
        return None
    if _DIGIT.search(text) and _WORD_OUTSIDE_LATEX.search(_LATEX_WORDS.sub(" ", text)):
        return None  # "5 apples", "Soucis : 2,74": a sentence stating a value
    if QUALIFIER.search(text):
        return None
    candidates = _distinct([text])
    return Extraction(candidates, Source.BARE) if candidates else None


_OPENERS = {"(": ")", "[": "]", "{": "}"}
_SEPARATORS = (";", ",")


def split_list(answer: str, separator: str) -> list[str]:
    """``answer`` split at top-level ``separator``; bracketed groups such as ``(1, 2)`` stay
    whole."""
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
    return pieces


def split_parts(answer: str, count: int) -> tuple[str, ...] | None:
    """Split one answer into ``count`` blanks at top-level ``;`` (else ``,``) separators, or
    None when it does not have exactly that many."""
    for separator in _SEPARATORS:
        canonical = tuple(canonical_answer(p) for p in split_list(answer, separator))
        if len(canonical) == count and all(canonical):
            return canonical
    return None
