"""The value a prose sentence states as its answer, for answers written as sentences:
"Final Answer: The largest $n$ is 34.", "Therefore, the probability is 2/3.", "The identity
matrix is $I$.", "$28$ percent".

A sentence states a value only in one of these shapes, after dropping a value it rejects
("the number is not 10, it is 12"), a leading conclusion ("Therefore,", "所以") and its final
punctuation:

- *copula*: "<subject> is <value> [unit]" — the value right after the last copula ("is",
  "are", "=", "是", "为"; "the" or "exactly" may stand between) and at the end of the sentence;
  "could be", "seems to be" and other modals before the copula refuse it;
- *label*: "<a few words>: <value> [unit]" ("Special matrix: $M$");
- *value*: "<value> [unit]" ("5 apples");
- *filler*: one piece of math wrapped only in filler words ("We find that $x < 3$.").

The value must be the only one in the sentence that is not a name (``$n$``, ``$f(x)$``,
``$(x, y)$``). A hedge, an estimate, a rejection, a condition, a question or a process step
anywhere in the sentence refuses it ("So x = 3 is extraneous.", "Let x = 5.", "所以 x 大概是
3"), and so do words that transform the value ("is the square of 5", "3 million", "5 的平方").
Sentences are at most :data:`STATEMENT_MAX_CHARS` long, so every pattern here is bounded.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from reward_service.pipeline.normalize import QUALIFIER
from reward_service.pipeline.units import COUNTED, COUNTER_WORD

STATEMENT_MAX_CHARS = 200

INLINE_MATH = re.compile(r"\$\$([^$]+)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]")
# A number outside math, with a percent sign; "2nd" is an ordinal, not a value. A Chinese word
# may stand right before it ("共有6种"), a letter of other scripts may not ("x2").
_NUMBER = re.compile(
    r"(?<![.,/\\^_])(?<![^\W\u3040-\u30ff\u3400-\u9fff])-?\d++(?:[.,]\d++)*+(?:/\d++)?+(?:\s*(?:\\?%|percent\b))?+"
    r"(?!(?:st|nd|rd|th)\b)"
)
# What rejects the value right after it: "not 10", "isn't equal to 3", "不是 5".
_REJECTION = re.compile(
    r"(?:\bnot|n't|\bnever|不是|不等于|不为)\s*(?:(?:equal|equals|be|to)\s+)*\Z", re.IGNORECASE
)
# A name rather than a value: "$n$", "$ABCD$", "$f(x)$", "$P(A)$", "$(x, y)$", "$x_1$".
_NAME = re.compile(
    r"[A-Za-z]{1,12}(?:_\{?\w{1,3}\}?)?(?:\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])*\s*\))?"
    r"|\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])+\s*\)"
)
# A conclusion opening the sentence, and the punctuation closing it.
_OPENING = re.compile(
    r"\s*(?:(?:so|therefore|thus|hence|consequently|in (?:conclusion|summary)|final answer)\b"
    r"|所以|因此|综上所述|综上|故)[\s,，:：]*",
    re.IGNORECASE,
)
_CLOSING = " \t\r\n.。!！"
# Anything that makes the sentence other than a plain statement of its answer: hedges and
# estimates, rejections, conditions, questions, process steps.
_NOT_STATED = re.compile(
    r"\b(?:likely|presumably|roughly|approx\w*|nearly|almost|estimat\w*|guess\w*|seems?|"
    r"appears?|alternatively|otherwise|hmm+|wait|oops|actually|extraneous|spurious|reject\w*|"
    r"invalid|discard\w*|contradict\w*|need|needs|let|try|assume|suppose|check|verify|"
    r"remains?|far|step|case|when|whether|given|compute|calculate|prove\w*|unproven|show|want|"
    r"claim\w*|conjecture|exclud\w*|eliminat\w*|drop|rule[ds]?|remov\w*|plug\w*|"
    r"substitut\w*|consider\w*|pick|choose|define|candidate|tentative\w*|naive|mistaken|"
    r"previous|bound|allegedly|supposedly|pending|hypothes\w*|counterexample|typo|unverified|"
    r"draft|says?|said|thinks?|believes?|writes?|wrote|careless|student|none|sometimes|usually|"
    r"often|unless|dozen|inverse|reciprocal|factorial|below|above|less|more|fewer|least|most|"
    r"million|billion|thousand|hundred|for (?:odd|even|all|each|some|every|any)|"
    r"(?:one|a|another) possible|possible answers|nope|suspect\w*|probable|preliminary|"
    r"initial\w*|original\w*|old|first|attempt\w*|forbidden|avoid|skip|breaks?|mistake\w*|"
    r"error|input|question|options?|candidates?|bounds?|test|start\w*|nothing|unlikely)\b"
    # someone else's answer: "Bob's answer is 5", "his answer is 5", "小明的答案是5"
    r"|'s\s+(?:final\s+)?(?:answer|solution|result|guess)\b"
    r"|\b(?:his|her|their|your)\s+(?:final\s+)?(?:answer|solution|result|guess)\b|(?<![我题])的答案"
    r"|'d\b|[?？≈]|\\approx|\\sim|=/=|!==|~=|"
    r"大概|大约|约|也许|估计|似乎|应该|吧|吗|舍|不符|矛盾|试|令|设|需要|要求|检验|验证|证明|当|时|"
    r"大于|小于|至少|至多|不少于|不超过|不大于|不小于|超过|低于|高于|以上|以下|左右|平方|立方|次方|"
    r"倒数|相反数|一半|倍|万|千|亿|大致|近似|估算|好像|恐怕|貌似|看起来|暂定|多半|未必|难道|岂|"
    r"理论上|据说|兴许|八成|大抵|想必|也可以|有望|初步|理应|看来|以为|认为|排除|去掉|删去|剔除|"
    r"代入|检查|增根|上界|下界|草稿|不对|错|会是|取(?!值)|先算|原来|之所以|缘故|候选",
    re.IGNORECASE,
)
# The opening of a question or of a process step: "Could it be 5", "Set n = 5".
_NOT_A_STATEMENT_OPENING = re.compile(
    r"(?:could|would|should|can|may|might|is|are|does|do|set|take|let|try|assume|suppose)\b",
    re.IGNORECASE,
)
_COPULA_END = re.compile(
    r"(?:(?P<before>\b[A-Za-z']+)\s+)?"
    r"(?:\b(?:is|are|was|were|equals|be|becomes|has|have|had)\b|(?<![!<>\\/~=])=(?!=)|是|为|"
    r"等于|有)"
    r"(?:\s*(?:\bthe\b|\bexactly\b|\bjust\b|\bsimply\b|\bequal to\b))*"
    r"[\s:：,，]*(?:\\?\$|€|£|¥|\[|\()?\s*\Z",
    re.IGNORECASE,
)
_LIST_JOIN = re.compile(r"\s*(?:,|，|、|;)?\s*(?:\band\b|\bor\b|和|或|及)?\s*", re.IGNORECASE)
_MODAL = frozenset("could would should may might must to not".split())
_LABEL = re.compile(r"[^\W\d_]+(?:\s+[^\W\d_]+){0,5}\s*[:：]\s*")
# What may follow the value: up to two unit words, never a word that transforms it.
_UNIT_TAIL = re.compile(
    r"(?:\s*(?!(?:million|billion|trillion|thousand|hundred|squared|cubed|times|or|and|is|are|"
    r"was|were|be|been|k|short|dozen|less|more|fewer|below|above)\b)"
    r"[A-Za-z°%€£¥$²³]+\.?){0,2}\s*"
    rf"|{COUNTER_WORD.pattern}"
)
_FILLER = frozenset(
    (
        "the a an answer final is are therefore thus so hence solution result value we "
        "get find found obtain have it this that equals our required its which gives "
        "yields then solving"
    ).split()
)
_WORD = re.compile(r"[^\W\d_]+")
# Chinese words that only lead to the value: "解得", "可得", "所以".
_CJK_FILLER = re.compile(
    r"(?:解得|可得|求得|得到|得出|算得|即得|得|即|所以|因此|故|则|从而|于是|综上)+"
)


@dataclass(frozen=True, slots=True)
class _Value:
    start: int
    end: int
    text: str
    is_math: bool

    @property
    def is_name(self) -> bool:
        return self.is_math and _NAME.fullmatch(self.text.strip()) is not None


def stated_value(sentence: str) -> str | None:
    """The one value ``sentence`` states as its answer, or None (see the module docstring)."""
    if len(sentence) > STATEMENT_MAX_CHARS:
        return None
    opening = _OPENING.match(sentence)
    body = sentence[opening.end() :] if opening else sentence
    body = body.strip().rstrip(_CLOSING)
    values, words = _values(body)
    if not values or hedged(words) or _NOT_A_STATEMENT_OPENING.match(body):
        return None
    real = [v for v in values if not v.is_name]
    listed = _listed_after_copula(real, words)
    if listed is not None:
        return listed
    if len(real) > 1 or (not real and len(values) > 1):
        return None
    value = real[0] if real else values[0]
    head, tail = words[: value.start], words[value.end :]
    if value.is_math and all(
        w.lower() in _FILLER or _CJK_FILLER.fullmatch(w) for w in _WORD.findall(head + tail)
    ):
        return value.text
    if not (_only_units(tail) or (opening and COUNTED.fullmatch(tail))):
        return None
    asserted = _copula_asserts(head)
    if asserted is not None:
        return value.text if asserted else None
    if not head.strip(" \t[(") or _LABEL.fullmatch(head.lstrip()):
        return value.text
    return None


def _copula_asserts(head: str) -> bool | None:
    """None when ``head`` does not end in a copula; False when a modal stands before it ("could
    be"); True otherwise."""
    copula = _COPULA_END.search(head)
    if copula is None:
        return None
    return (copula.group("before") or "").lower() not in _MODAL


def _only_units(tail: str) -> bool:
    """``tail`` holds at most unit words; brackets around the value are its delimiters ("The
    angle is [90].")."""
    return _UNIT_TAIL.fullmatch(tail.replace("]", " ").replace(")", " ")) is not None


def hedged(words: str) -> bool:
    """True when ``words`` (prose, values taken out) hedge, estimate, reject, condition, ask,
    describe a process step or transform a value."""
    return QUALIFIER.search(words) is not None or _NOT_STATED.search(words) is not None


def _listed_after_copula(values: list[_Value], words: str) -> str | None:
    """Several values joined only by "and", "or" or commas right after the copula, at the end
    of the sentence: "the solutions are $1$ and $2$" states the list ``1, 2``."""
    if len(values) < 2:
        return None
    first, last = values[0], values[-1]
    if not _copula_asserts(words[: first.start]) or not _only_units(words[last.end :]):
        return None
    gaps = (words[left.end : right.start] for left, right in itertools.pairwise(values))
    if not all(_LIST_JOIN.fullmatch(gap) for gap in gaps):
        return None
    return ", ".join(v.text for v in values)


def _values(body: str) -> tuple[list[_Value], str]:
    """The values of ``body`` it does not reject, and its prose with every value (and each
    rejection with its value) blanked out, positions kept."""
    found = [
        _Value(m.start(), m.end(), next(g for g in m.groups() if g is not None), True)
        for m in INLINE_MATH.finditer(body)
    ]
    masked = INLINE_MATH.sub(lambda m: " " * len(m.group()), body)
    found += [_Value(m.start(), m.end(), m.group(), False) for m in _NUMBER.finditer(masked)]
    found.sort(key=lambda v: v.start)
    kept: list[_Value] = []
    prose = list(masked)
    for value in found:
        rejection = _REJECTION.search(masked, max(0, value.start - 40), value.start)
        start = rejection.start() if rejection is not None else value.start
        prose[start : value.end] = " " * (value.end - start)
        if rejection is None:
            kept.append(value)
    return kept, "".join(prose)
