"""Answer extraction: the final answer(s) a response commits to, from its answer span only.

The span ends at a chat-template token (``<|im_start|>``, ``<|end▁of▁sentence|>``,
``<end_of_turn>`` …) or a line opening an invented next turn (``Problem:``, ``User:``): what
follows is the model making up a conversation, not its answer. Then, in order of precedence,
the first that finds something wins:

1. ``\\boxed{…}`` / ``\\fbox{…}`` (nested braces matched, outermost boxes only). Every distinct
   box is a candidate, in order. Several different ones for one blank are one list answer
   when the final run of boxes, with only separators between them, holds all of them
   (``\\boxed{1}, \\boxed{2}`` → ``1, 2``); otherwise they are hedging and every one must be
   right. The service never simply trusts the last box. A *final-answer* anchor after the last
   box ("Final Answer: The final answer is $10,455$.") states the answer instead.
2. The last answer anchor: ``故答案为``, ``答案为``, ``答案是``, ``最终答案``, ``【答案】``,
   ``答案：``, ``final answer is``, ``the answer is``, ``Answer:`` / ``Answer`` opening a line —
   then the math that immediately follows it (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``),
   else the rest of that sentence, read as a statement when it is prose ("Final Answer: The
   largest $n$ is 34."). Math further along the sentence is not taken: in "the answer is not
   $3$" the answer is not ``3``; more math or numbers after the anchored sentence refuse it.
3. A stated value (``pipeline/statements.py``) of the final sentence, when it opens with a
   conclusion ("Therefore", "So,", "所以", …) and is complete, or of the whole span when it is
   one line.
4. A bare answer: the whole span, when it is one short line of math without delimiters and
   not prose (the ``plain`` template for answer-only outputs, or an R1 answer span that is
   just the answer).

There is deliberately no "last number in the text" fallback: it rewards truncated traces, so a
multi-sentence span is read only through a complete, concluding final sentence.
Full-width forms are mapped to ASCII first. Linear in the span length.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import StrEnum

from reward_service.pipeline.characters import fold
from reward_service.pipeline.choice import ChoiceReading, read_choice
from reward_service.pipeline.normalize import (
    QUALIFIER,
    canonical_answer,
    is_prose,
    to_halfwidth,
)
from reward_service.pipeline.statements import (
    INLINE_MATH,
    STATEMENT_MAX_CHARS,
    hedged,
    stated_value,
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
# Between boxes that list several answers: a short gap with a connector ("papers and").
_CONNECTOR = re.compile(r"\band\b|[,;]|和|及", re.IGNORECASE)
_LISTED_GAP_MAX_CHARS = 40
_OR = re.compile(r"\bor\b|或", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AnchorWords:
    """How one language introduces an answer. Regular expressions, matched case-insensitively."""

    anchors: str
    """Phrases after which the answer follows ("the answer is", "答案是")."""
    final: str
    """Anchors that claim finality ("final answer", "最终答案")."""
    qualifiers: str = ""
    """Words that negate or hedge an anchored answer ("nicht", "peut-être"); English and
    Chinese ones are ``normalize.QUALIFIER`` and ``statements.hedged``."""
    closing: str = ""
    """Words that may close the answer's sentence and are not part of it (Japanese "です")."""


# A colon may have a space before it (French typography).
ANCHOR_WORDS: dict[str, AnchorWords] = {
    "zh": AnchorWords(
        r"故答案为|答案为|答案是|【答案】|答案\s*:|故选|因此选|所以选|应选|答案选", r"最终答案"
    ),
    "en": AnchorWords(r"the answer is|\banswer\s*:", r"final answer is"),
    "fr": AnchorWords(
        r"la réponse est|\bréponse\s*:",
        r"réponse finale",
        r"\b(?:pas|ne|n'|peut-être|ou|environ|sans doute)\b",
    ),
    "de": AnchorWords(
        r"die antwort (?:ist|lautet)|\bantwort\s*:",
        r"endgültige antwort",
        r"\b(?:nicht|kein\w*|vielleicht|oder|etwa|ungefähr|wahrscheinlich)\b",
    ),
    "es": AnchorWords(
        r"la respuesta es|\brespuesta\s*:",
        r"respuesta final",
        r"\b(?:no|quizás?|tal vez|o|aproximadamente|probablemente)\b",
    ),
    "pt": AnchorWords(
        r"a resposta é|\bresposta\s*:",
        r"resposta final",
        r"\b(?:não|talvez|ou|aproximadamente|provavelmente)(?!\w)",
    ),
    "it": AnchorWords(
        r"la risposta è|\brisposta\s*:",
        r"risposta finale",
        r"\b(?:non|forse|o|circa|probabilmente)\b",
    ),
    "ru": AnchorWords(
        r"\bответ\s*[:—–-]|ответ равен",
        r"окончательный ответ",
        r"\b(?:не|нет|или|возможно|примерно|около|наверное)\b",
    ),
    "ja": AnchorWords(
        r"答えは|答え\s*:|解答\s*:",
        r"最終的な答えは",
        r"ない|かもしれ|または|あるいは|約|たぶん|おそらく",
        r"(?:です|である|だ)[。.]?\s*\Z",
    ),
}


def _joined(field: str) -> str:
    """One field of every language, as one alternation; folded as the text it reads is
    (``pipeline/characters.py``: "Ответ" is read with its look-alike letters in Latin)."""
    return fold("|".join(p for p in (getattr(w, field) for w in ANCHOR_WORDS.values()) if p))


# Anchors that are layout rather than a phrase: an "Answer" line, "####", an answer tag.
_LAYOUT_ANCHORS = r"(?:^|\n)[ \t]*\**(?:final )?answer\b\**|(?:^|\n)[ \t]*####|<answer>"
_ANCHOR = re.compile(f"{_joined('final')}|{_joined('anchors')}|{_LAYOUT_ANCHORS}", re.IGNORECASE)
_FINAL_ANCHOR = re.compile(_joined("final"), re.IGNORECASE)
_NOTHING = re.compile(r"(?!)")
_LANGUAGES = tuple(
    (
        re.compile(fold(f"{words.final}|{words.anchors}"), re.IGNORECASE),
        re.compile(fold(words.qualifiers), re.IGNORECASE) if words.qualifiers else _NOTHING,
        re.compile(fold(words.closing), re.IGNORECASE) if words.closing else _NOTHING,
    )
    for words in ANCHOR_WORDS.values()
)


def _language_of(anchor: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The qualifiers and closing words of the language of a matched anchor (none for layout
    anchors, English and Chinese, whose qualifiers are the shared ones)."""
    for phrase, qualifiers, closing in _LANGUAGES:
        if phrase.fullmatch(anchor):
            return qualifiers, closing
    return _NOTHING, _NOTHING


# An anchor naming someone else's answer: "Bob's answer is 5", "小明的答案是5" (not "我的",
# "本题的").
_SOMEONE_ELSE = re.compile(
    r"(?:'s|\b(?:his|her|their|your|student|teacher)|(?<![我题])的)\s*\**\s*(?:final\s+)?\Z",
    re.IGNORECASE,
)
# What follows an answer to explain or check it, not to restate it: "【解析】…", "Check: …",
# "经检验…". Only an explanation that takes nothing back is cut off.
_EXPLANATION = re.compile(
    r"【(?:解析|分析|详解|点睛|点评)】"
    r"|(?:^|(?<=[\s.。,，;；:：!！]))(?:经检验|检验|验证|解析|Check|Checking|Verification|Verify|"
    r"Explanation)\s*[:：,，]",
    re.IGNORECASE,
)
# A second thought after the boxed answer: with a value in it, the box is not the last word
# ("\boxed{12}. Hmm, maybe it's 13.", "Or maybe six.", "其实是6").
_SECOND_THOUGHT = re.compile(
    r"\b(?:actually|hmm+|maybe|perhaps|possibly|probably|wait|alternatively,? (?:the answer|it)|"
    r"second thought)\b|也许|或许|可能|或者|其实|实际上|不过|还是",
    re.IGNORECASE,
)
_SECOND_THOUGHT_WITHIN = 120
_VALUE = re.compile(
    r"[0-9$]|\\[(\[]|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"twenty|thirty|hundred|half)\b|[零一二三四五六七八九十百两]",
    re.IGNORECASE,
)
# A root or case the response itself rejects, in brackets after its answer: "x=3（x=4舍去）".
_REJECTED_ASIDE = re.compile(
    r"[（(][^()（）\n]{0,80}?(?:舍去|舍|不合题意|不符合题意|不合题|rejected|discarded|extraneous)"
    r"[^()（）\n]{0,20}[）)]",
    re.IGNORECASE,
)
_NEXT_SENTENCE_MAX_CHARS = 200
_MODAL_BEFORE = re.compile(r"\b(?:could|would|should|might|may|if)\b|如果|假如|若", re.IGNORECASE)
_ANCHOR_LEAD = ' \t\r\n:：是为*"“'
# Right after an anchor: a display block (may span lines) or inline math (one line)...
_MATH_BLOCK = re.compile(
    r"\$\$([^$]{1,2000}?)\$\$|\\\[(.{1,2000}?)\\\]|\\\(([^\n]{1,2000}?)\\\)|\$([^$\n]{1,2000})\$",
    re.DOTALL,
)
# ...else the rest of the sentence on that line.
_SENTENCE_END = re.compile(r"(?<!\d)\.(?=\s|$)|\.\s|。|\n")
_SENTENCE_START = re.compile(r"[.。!?！？\n][^.。!?！？\n]*\Z")
_MATH_OR_NUMBER = re.compile(r"[0-9$]|\\[(\[]|\\boxed")
# Where the model stops answering and invents the next turn of a conversation.
_ANSWER_END = re.compile(
    r"[<‹〈]\s*[|∣│¦]+[^<>\n]{1,80}?[|∣│¦]+\s*[>›〉]"
    r"|<\s*\|?\s*(?:im_start|im_end|end_?of_?text|eot_id|eot|eos|bos|eoh|end_of_turn|start_of_turn|"
    r"endoftext|eoa)\s*\|?\s*>|<\s*/?\s*s\s*>|</answer>|\[/?(?:INST|EOS)\]"
    r"|\n[ \t]*(?:#+[ \t]*)?\**(?:Problem|Question|Q|User|Human|Instruction|Exercise|用户|"
    r"问题|题目|下一题)(?:[ \t]*\d+)?\**[ \t]*[:：]"
    # a reference answer the response quotes (from the problem, or made up) is not its own
    r"|(?:参考答案|标准答案|官方答案|reference answer|official answer|expected answer)\s*[:：】]",
    re.IGNORECASE,
)
# Taking the answer back: "\boxed{5} is wrong.", "The answer is $5$. Wait, that's wrong."
_RETRACTION = re.compile(
    r"\b(?:wrong|incorrect|mistake\w*|scratch that|not (?:correct|right)|disregard|oops|typo|"
    r"correction|retract\w*|withdraw\w*)\b|不对|错了|错误|有误|不正确|收回",
    re.IGNORECASE,
)
# Closing words that are not a sentence of the answer: Minerva's sign-off, GAOKAO's end tag.
_SIGN_OFFS = ("i hope it is correct.", "i hope it is correct", "<eoa>")
# The opening of a concluding sentence; English forms are capitalised, as a sentence opens.
_CONCLUSION = re.compile(
    r"(?:(?<=^)|(?<=[\s.!?:]))(?:So|Therefore|Thus|Hence|Consequently|In (?:conclusion|summary)"
    r"|Final Answer\s*:)(?=[\s,:])|(?<!之)所以|因此|综上所述|综上|故(?=[\s,，:：]|答)"
)
_SENTENCE_BREAK = re.compile(r"[.!?](?=\s)|[。！？]|\n")
_COMPLETE = re.compile(r"[.!?。！？]\s*\Z")
_DIGIT = re.compile(r"\d")
_LATEX_WORDS = re.compile(
    r"\\(?:begin|end)\s*\{[^{}]*\}|\\(?:text|mathrm|mbox)\s*\{[^{}]*\}|\\[A-Za-z]+"
)
_WORD_OUTSIDE_LATEX = re.compile(r"[^\W\d_]{3,}")
BARE_MAX_CHARS = 80
_CANONICAL_MAX_CHARS = 10_000


class Source(StrEnum):
    BOXED = "boxed"
    ANCHOR = "anchor"
    STATEMENT = "statement"
    BARE = "bare"
    CHOICE = "choice"
    """Option letters read by ``pipeline/choice.py`` for a choice gold."""


@dataclass(frozen=True, slots=True)
class Extraction:
    """Distinct canonical candidates, in order of appearance; the last is the final one."""

    candidates: tuple[str, ...]
    source: Source
    is_list: bool = False
    """Several boxes written as one list, with only separators between them."""
    listed: bool = False
    """Several boxes with a short connecting phrase between each ("for part (a) and"): one
    list when the gold lists as many answers."""

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
        # braces opened before the first box cannot change how later ones pair up
        for brace in _BRACE.finditer(text, openers[0][1]):
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


def listed_boxes(text: str) -> tuple[str, ...] | None:
    """The canonical contents of the boxes of ``text`` when they list several answers: each
    gap between boxes is short, holds a connector and no negation or hedge other than "or"
    ("\\boxed{1} papers and \\boxed{2} bins"; not "\\boxed{1} so, no, \\boxed{2}").
    None when there are fewer than two boxes or any gap is something else."""
    text = to_halfwidth(text)
    boxes = _boxes(text)
    return _distinct([b.content for b in boxes]) if _listed(text, boxes) else None


def _listed(text: str, boxes: list[_Box]) -> bool:
    return len(boxes) > 1 and all(
        len(gap) <= _LISTED_GAP_MAX_CHARS
        and _CONNECTOR.search(gap) is not None
        and not _RETRACTION.search(gap)
        and not hedged(_OR.sub(" ", gap))
        for gap in (text[left.end : right.start] for left, right in itertools.pairwise(boxes))
    )


class _Refused:
    """An anchor whose statement is qualified, hedged or followed by more numbers."""


REFUSED = _Refused()


@dataclass(frozen=True, slots=True)
class _Anchored:
    text: str
    source: Source
    """ANCHOR for math or a short answer after the anchor, STATEMENT for a value read from a
    prose sentence after it."""
    final: bool
    """The anchor claims finality ("Final Answer:", "最终答案")."""
    has_value: bool
    """Math or a stated value, not just words ("The answer is consistent with …")."""


def _anchored(text: str) -> _Anchored | _Refused | None:
    """The answer after the last anchor; :data:`REFUSED` when its sentence is qualified ("I
    don't think the answer is 3", "the answer is $3$ or $4$") or when more numbers or math
    follow it — the anchored statement must be the span's final word."""
    last = None
    for last in _ANCHOR.finditer(text):  # noqa: B007 - we want the last match
        pass
    if last is None:
        return None
    final = _FINAL_ANCHOR.search(last.group()) is not None
    start = last.start() + last.group().startswith("\n")  # an anchor opening its own line
    opening = _SENTENCE_START.search(text, 0, start)
    before = text[opening.start() + 1 if opening else 0 : start]
    if _SOMEONE_ELSE.search(before):
        return REFUSED
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
    after = without_explanation(after)
    end = _SENTENCE_END.search(after)
    tail, beyond = (after[: end.start()], after[end.start() :]) if end else (after, "")
    qualifiers, closing = _language_of(last.group())
    answer = closing.sub("", answer)
    if hedged(before) or _MODAL_BEFORE.search(before) or hedged(tail):
        return REFUSED
    if _MATH_OR_NUMBER.search(tail) or QUALIFIER.search(answer):
        return REFUSED
    if qualifiers.search(_LATEX_WORDS.sub(" ", f"{before} {answer} {tail}")):
        return REFUSED
    beyond = _without_sign_off(beyond)
    if _MATH_OR_NUMBER.search(beyond) or _RETRACTION.search(beyond):
        return REFUSED
    following = _SENTENCE_END.search(beyond, 1)
    if hedged(beyond[: following.start() if following else _NEXT_SENTENCE_MAX_CHARS]):
        return REFUSED  # "The answer is $5$. Or maybe six."
    if block is None and is_prose(answer):
        # "Final Answer: The largest $n$ is 34": the value the sentence states, if any
        value = stated_value(answer)
        if value is not None:
            return _Anchored(value, Source.STATEMENT, final, True)
        return _Anchored(answer, Source.ANCHOR, final, False)
    return _Anchored(answer, Source.ANCHOR, final, True)


def _second_thought(tail: str) -> bool:
    """True when the words right after the last box ("\\boxed{12}. Hmm, maybe it's 13.",
    "Or maybe six.") open a second thought whose sentence holds a value."""
    thought = _SECOND_THOUGHT.search(tail, 0, _SECOND_THOUGHT_WITHIN)
    if thought is None:
        return False
    end = _SENTENCE_BREAK.search(tail, thought.end())
    return _VALUE.search(tail, thought.start(), end.start() if end else len(tail)) is not None


def without_explanation(text: str) -> str:
    """``text`` up to an explanation or check of the answer ("【解析】…", "Check: …"), unless
    what follows takes the answer back."""
    explanation = _EXPLANATION.search(text)
    if explanation is None or _RETRACTION.search(text, explanation.end()):
        return text
    return text[: explanation.start()]


def _without_sign_off(text: str) -> str:
    """``text`` without a closing sign-off ("I hope it is correct.", "<eoa>")."""
    text = text.rstrip()
    lowered = text.lower()
    for sign_off in _SIGN_OFFS:
        if lowered.endswith(sign_off):
            return text[: -len(sign_off)].rstrip()
    return text


def _distinct(values: list[str], exclude: frozenset[str] = frozenset()) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        # an answer this long is refused as too large; its canonical form would only cost time
        canonical = canonical_answer(value) if len(value) <= _CANONICAL_MAX_CHARS else value
        canonical = canonical.strip()
        if canonical and canonical not in exclude:
            seen.setdefault(canonical, None)
    return tuple(seen)


def _own_answer(answer_span: str) -> str:
    """The span in ASCII forms, up to where the model stops answering, without the roots it
    rejects in an aside."""
    text = to_halfwidth(answer_span)
    end = _ANSWER_END.search(text)
    text = text if end is None else text[: end.start()]
    return _REJECTED_ASIDE.sub("", text)


def choice_answer(answer_span: str) -> ChoiceReading | None:
    """The option letters an answer span commits to (``pipeline/choice.py``), or None."""
    text = _own_answer(answer_span)
    return read_choice(text, [(b.start, b.end, b.content) for b in _boxes(text)])


def extract_answer(answer_span: str, problem: str | None = None) -> Extraction | None:
    """The final answer candidates of an answer span, or None when it commits to no answer.

    Boxes whose content also appears boxed in ``problem`` are quotations of the problem (a
    "fill in the box" question), not answers, and are ignored.
    """
    text = _own_answer(answer_span)
    quoted = (
        frozenset(canonical_answer(b.content) for b in _boxes(to_halfwidth(problem)))
        if problem and "box" in problem
        else frozenset()
    )
    boxes = _boxes(text)
    boxed = _distinct([b.content for b in boxes], quoted)
    if boxed:
        tail = without_explanation(_without_sign_off(text[boxes[-1].end :]))
        if _RETRACTION.search(tail):
            return None  # "\boxed{5} is wrong.", "I retract this answer."
        after = _anchored(tail)
        if isinstance(after, _Anchored) and after.has_value:
            restated = _distinct([after.text])
            if restated and after.final:
                return Extraction(restated, after.source)
            # "\boxed{5}. 故答案为6": a second statement; both must be right
            boxed = _distinct([*boxed, *restated])
        elif _second_thought(tail):
            return None  # "\boxed{12}. Hmm, maybe it's 13.": the box is not the last word
        run = _final_run(text, boxes)
        is_list = len(boxed) > 1 and set(_distinct([b.content for b in run], quoted)) == set(boxed)
        return Extraction(boxed, Source.BOXED, is_list, len(boxed) > 1 and _listed(text, boxes))
    anchored = _anchored(text)
    if isinstance(anchored, _Anchored):
        candidates = _distinct([anchored.text])
        return Extraction(candidates, anchored.source) if candidates else None
    # no anchor, or a qualified one ("答案: a = 1 或 a = -3 … 因此，a = 1。"): a concluding
    # final sentence may still state the answer
    stripped = _without_sign_off(text).strip()
    if _ANY_BOX.search(stripped):
        return None
    return _bare(stripped) or _statement(stripped)


def _statement(text: str) -> Extraction | None:
    """The value the span states: all of it when it is one line ("The sum is $A + B$", "Here
    is a zero matrix: $0$", "$E$"), else its final sentence when that opens with a conclusion
    and is complete ("Therefore, the probability is 2/3.")."""
    last = None
    for last in _CONCLUSION.finditer(text):  # noqa: B007 - we want the last match
        pass
    value = None
    if "\n" not in text and len(text) <= STATEMENT_MAX_CHARS:
        value = stated_value(text)  # one line: all of it is the statement
    # a conclusion quoted after a colon ("a careless student would write: Therefore, x = 5")
    # is not the span's own
    opens = last is not None and not text[: last.start()].rstrip().endswith((":", "："))
    if value is None and last is not None and opens:
        sentence = text[last.start() :].strip()
        if (
            len(sentence) > STATEMENT_MAX_CHARS
            or not _COMPLETE.search(sentence)
            or _SENTENCE_BREAK.search(sentence.rstrip(".!?。！？ \t\r\n"))
        ):
            return None  # not its last sentence, or cut off mid-sentence
        value = stated_value(sentence)
    candidates = _distinct([value]) if value is not None else ()
    return Extraction(candidates, Source.STATEMENT) if candidates else None


def _bare(text: str) -> Extraction | None:
    """A short line of math without delimiters is the answer itself (answer-only outputs)."""
    if _CONCLUSION.match(text):
        return None  # "So, x = 5.": a statement
    if len(text) > BARE_MAX_CHARS or "\n" in text or INLINE_MATH.search(text) or is_prose(text):
        return None
    if _DIGIT.search(text) and _WORD_OUTSIDE_LATEX.search(_LATEX_WORDS.sub(" ", text)):
        return None  # "5 apples", "Soucis : 2,74": a sentence stating a value
    if QUALIFIER.search(text):
        return None
    candidates = _distinct([text])
    return Extraction(candidates, Source.BARE) if candidates else None


_OPENERS = {"(": ")", "[": "]", "{": "}"}


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
