"""Multiple-choice answers: a gold of option letters, and the letters a response commits to.

A *choice gold* is one option letter (``B``, ``(B)``), the letter followed by its option's text
(``C. {x|…}``), or several letters (``AC``, ``A,C``, ``A、C``, ``A and C``; written together
only in ascending order, so a name like ``BA`` is not taken for a set). Letters compare as a
set, never symbolically: ``A,C`` equals ``CA``, ``A`` does not equal ``AC``.

The response's letters are read where a final answer is stated (each site names its class):

- *box*: ``\\boxed{B}``, ``\\boxed{\\text{B}}``, ``\\boxed{C. (0,1,0)}`` — letters first, then
  optionally the option's text after a separator;
- *anchor*: an answer phrase then the letters — ``【答案】B``, ``答案是A. $\\{-1,0\\}$``,
  ``故选：B``, ``综上，选B``, ``正确选项为 C``, "the answer is (B)", "the correct option is $A$",
  "**Answer: B**";
- *verdict sentence*: the letters called right — ``选项A是正确的``, "option B is correct";
- *bare*: the whole span is the letters (and optionally the option's text).

The last site in the span is the answer (the last statement, read as a whole). It is a hedge
when letters follow it joined by "or" (``A或B``, "(A) or (B)"), when boxes give different
letters, or when a later sentence takes it back or hedges towards another letter. A site
quoting a reference answer (``参考答案：A``, "Reference answer: A") is not the response's.
The option's text after a letter may confirm it but never replaces it: a response that gives
only the text has given no letter. Every pattern has bounded gaps, so reading is linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reward_service.types import Reason, Verdict

_LETTER = "A-H"
# Letters joined by list separators, or written together.
_JOIN = r"(?:\s{0,3}(?:,|，|、|;|&|\band\b|和|与|及)\s{0,3}|\s{1,3})?"
_LETTER_SET = rf"[{_LETTER}](?:{_JOIN}[{_LETTER}]){{0,7}}"
# What may wrap the letters: math delimiters, a text command, brackets, Markdown bold.
_OPEN = r"(?:\$|\\\(|\*\*|\\(?:text|textbf|mathrm|mathbf)\s*\{|[(（\[【])*"
_CLOSE = r"(?:\$|\\\)|\*\*|\}|[)）\]】])*"
# A letter is not part of a word or of a longer name ("AB" in "ABC", "A_1", "B'").
_AFTER = r"(?![A-Za-z0-9_'{^])"
_BEFORE = r"(?<![A-Za-z0-9\\_])"
_LETTERS = rf"{_OPEN}\s{{0,2}}{_BEFORE}(?P<letters>{_LETTER_SET}){_AFTER}{_CLOSE}"

# Letters alone are tried first: "A、C" lists two letters, it is not option A's text "C".
_GOLD = re.compile(
    rf"\s*(?P<listed>[{_LETTER}](?:\s*(?:,|，|、|;|\band\b|和)\s*[{_LETTER}]){{1,7}})\s*"
    rf"|\s*(?P<together>[{_LETTER}]{{2,8}})\s*"
    # the option's text after ". " or "、" ("C. {x|…}"); not "A:B=1", a ratio
    rf"|\s*[(（]?(?P<letters>[{_LETTER}])[)）]?\s*(?:[.．、]\s*[^\s=<>:].*)?",
    re.DOTALL,
)
_SEPARATOR = re.compile(r"[^A-H]+")

_ANCHOR = re.compile(
    r"(?:正确答案|最终答案|答案|正确选项|正确的选项|本题选|所以选|因此选|故选|应选|则选|即选|"
    r"综上[所述]*[,，]?\s*选(?:择)?|(?:^|(?<=[,，。:：\n]))\s*选(?:择)?(?!项)|"
    r"(?:correct|right|final|best)\s+(?:answer|option|choice)|\banswer|\bAnswer)"
    r"(?:\s{0,3}(?:is|should be|would be|must be|应该?是|应为|应当是|是|为|选|:|：|】|\*\*|\.))"
    r"{0,4}"
    r"\s{0,3}(?:option|choice|选项)?\s{0,2}" + _LETTERS,
    re.IGNORECASE,
)
# "选项A是正确的", "option B is correct", "B 正确" at a sentence's end.
_VERDICT = re.compile(
    r"(?:选项|option|choice)\s{0,2}" + _LETTERS + r"\s{0,3}(?:是|is|为)?\s{0,3}"
    r"(?:正确|对的|对|符合题意|correct|right|the (?:correct|right) (?:one|answer|option))",
    re.IGNORECASE,
)
_BOX_CONTENT = re.compile(rf"\s*{_LETTERS}\s*(?:[.．、:：)]\s*.*)?", re.DOTALL)
_BARE = re.compile(rf"\s*{_LETTERS}\s*(?:[.．、:：)]\s*[^\n]{{0,200}})?\s*")
# A reference answer the response quotes (from the problem or invented), not its own.
_QUOTING = re.compile(r"(?:参考|标准|官方|reference|official|expected|given)\s*$", re.IGNORECASE)
_QUOTING_WINDOW = 16
# After the letters of the last site: another letter offered as an alternative.
_ALTERNATIVE = re.compile(
    rf"\s{{0,3}}(?:\$|\)|）)?\s{{0,3}}(?:或者?|还是|\bor\b|/)\s{{0,8}}{_LETTERS}", re.IGNORECASE
)
_TAKEN_BACK = re.compile(
    r"\b(?:wrong|incorrect|mistake\w*|retract\w*|not (?:correct|right)|scratch that|actually|"
    r"maybe|perhaps|or)\b|不对|错了|有误|不正确|也可能|或者|可能",
    re.IGNORECASE,
)
_TAIL_CHARS = 80
# An explanation or a check opening right after the answer.
_EXPLANATION = re.compile(
    r"[\s.。,，;；:：)）$*}]*(?:<eoa>\s*)?(?:【解析】|【分析】|【详解】|解析[:：]|分析[:：]|"
    r"理由[:：]|Explanation|Reason|Because|Check|Verification|经检验|检验)",
    re.IGNORECASE,
)
_LONE_LETTER = re.compile(rf"{_BEFORE}[{_LETTER}]{_AFTER}")


def choice_gold(gold: str) -> frozenset[str] | None:
    """The option letters of a choice gold, or None when ``gold`` is not one."""
    if len(gold) > 2_000:
        return None
    match = _GOLD.fullmatch(gold.strip().strip("$"))
    if match is None:
        return None
    together = match.group("together")
    if together is not None:
        letters = list(together)
        return frozenset(letters) if letters == sorted(set(letters)) else None
    return _letter_set(match.group("letters") or match.group("listed"))


def _letter_set(text: str) -> frozenset[str]:
    return frozenset(_SEPARATOR.sub("", text))


@dataclass(frozen=True, slots=True)
class ChoiceReading:
    """The letters a response commits to, and whether it hedges between letters."""

    letters: frozenset[str]
    hedged: bool = False

    @property
    def text(self) -> str:
        return "".join(sorted(self.letters))


@dataclass(frozen=True, slots=True)
class _Site:
    start: int
    end: int
    letters: frozenset[str]


def read_choice(span: str, boxes: list[tuple[int, int, str]]) -> ChoiceReading | None:
    """The letters ``span`` states as its answer (see the module docstring), or None when it
    states none. ``boxes`` are its outermost boxes as (start, end, content)."""
    sites: list[_Site] = []
    boxed: set[frozenset[str]] = set()
    for start, end, content in boxes:
        match = _BOX_CONTENT.fullmatch(content)
        if match is not None and not _quoting(span, start):
            letters = _letter_set(match.group("letters"))
            sites.append(_Site(start, end, letters))
            boxed.add(letters)
    for pattern in (_ANCHOR, _VERDICT):
        for match in pattern.finditer(span):
            if not _quoting(span, match.start()):
                sites.append(_Site(match.start("letters"), match.end("letters"), _letters(match)))
    bare = _BARE.fullmatch(span)
    if bare is not None:
        sites.append(_Site(bare.start("letters"), bare.end("letters"), _letters(bare)))
    if not sites:
        return None
    last = max(sites, key=lambda s: (s.end, s.start))
    rest = span[last.end :]
    if _EXPLANATION.match(rest):
        rest = ""  # "【答案】B【解析】…": what follows explains the answer, it does not restate it
    hedged = (
        len(boxed) > 1
        or _ALTERNATIVE.match(rest) is not None
        or (_TAKEN_BACK.search(rest) is not None and _LONE_LETTER.search(rest) is not None)
        or _TAKEN_BACK.search(rest[:_TAIL_CHARS]) is not None
    )
    return ChoiceReading(last.letters, hedged)


def _letters(match: re.Match[str]) -> frozenset[str]:
    return _letter_set(match.group("letters"))


def _quoting(span: str, start: int) -> bool:
    return _QUOTING.search(span, max(0, start - _QUOTING_WINDOW), start) is not None


@dataclass(frozen=True, slots=True)
class ChoiceDecision:
    """The verdict on a response to a choice gold, and the letters read (None: none stated)."""

    verdict: Verdict
    reason: Reason
    reading: ChoiceReading | None


def decide_choice(gold: frozenset[str], reading: ChoiceReading | None) -> ChoiceDecision:
    """A letter set compared with the gold's: equal sets are correct; a hedge, other letters
    or no letters at all are incorrect."""
    if reading is None:
        return ChoiceDecision(Verdict.INCORRECT, Reason.ANSWER_MISSING, None)
    if reading.hedged:
        return ChoiceDecision(Verdict.INCORRECT, Reason.ANSWER_HEDGED, reading)
    if reading.letters == gold:
        return ChoiceDecision(Verdict.CORRECT, Reason.ANSWER_EQUIVALENT, reading)
    return ChoiceDecision(Verdict.INCORRECT, Reason.ANSWER_NOT_EQUIVALENT, reading)
