"""Text normalisation shared by answer extraction and gold canonicalisation."""

from __future__ import annotations

import functools
import re

from latex2sympy2_extended.math_normalization import units_regex as UNITS_AT_END

from reward_service.pipeline.characters import fold
from reward_service.pipeline.units import without_unit

# Full-width ASCII (U+FF01-U+FF5E) maps to ASCII; plus the ideographic space and the Unicode
# math symbols models write instead of LaTeX.
_TRANSLATION: dict[int, str] = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
_TRANSLATION.update(
    {
        0x3000: " ",
        ord("、"): ",",
        ord("−"): "-",
        ord("–"): "-",
        ord("×"): r"\times ",
        ord("÷"): r"\div ",
        ord("≤"): r"\le ",
        ord("≥"): r"\ge ",
        ord("≠"): r"\ne ",
        ord("≈"): r"\approx ",
        ord("π"): r"\pi ",
        ord("∞"): r"\infty ",
        ord("√"): r"\sqrt",
        ord("°"): r"^\circ ",
        ord("∈"): r"\in ",
        ord("∪"): r"\cup ",
        ord("∩"): r"\cap ",
        ord("\u00a0"): " ",
    }
)

_DELIMITERS = (("$$", "$$"), ("$", "$"), (r"\(", r"\)"), (r"\[", r"\]"))
# "!" is not here: it is the factorial sign.
_TRAILING = " \t\r\n.。,，;；:：\\"
_SPACE_RUN = re.compile(r"\s+")
# "1 000", "1\,000", "1{,}000" as a whole answer: digit-group separators, not a list.
_GROUPED_NUMBER = re.compile(
    r"-?\d{1,3}(?:(?: ?(?:\\,|\\ |\{\s*,\s*\}) ?| )\d{3})+(?:\.\d+)?"
    # "1,000.99": with a decimal part, comma groups cannot be a list
    r"|-?\d{1,3}(?:,\d{3})+\.\d+"
)
_GROUP_SEPARATOR = re.compile(r"\\,|\\ |\{\s*,\s*\}|\s|,")
# Currency signs around a lone number: "1,000.99€", "\\$10", "¥5".
_CURRENCY = re.compile(r"^(?:\\\$|[€£¥₹])\s*(?=-?\d)|(?<=\d)\s*(?:\\\$|[€£¥₹]|元)$")
# "28 percent": the word after a number is the percent sign.
_PERCENT_WORD = re.compile(r"(?<=\d)\s*(?:percent|per cent)$", re.IGNORECASE)
# Several pieces of math joined only by "and", "or" or commas: "$1$ and $2$" is the list 1, 2.
_MATH_PIECE = r"\$([^$]+)\$"
_MATH_LIST = re.compile(rf"{_MATH_PIECE}(?:\s*(?:,|;|and|or|和|或)\s*{_MATH_PIECE})+")
# A name (or a tuple of names) labelling a whole list: "(x, y) = (5, 8), (8, 5)", "a = 4, -8".
_LIST_LABEL = re.compile(
    r"(?:[A-Za-z](?:_\{?\w+\}?)?|\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])+\s*\))\s*=\s*"
)
# LaTeX written JSON-escaped ("-2 \\\\le x"): a doubled backslash before a command name is one.
_DOUBLED_BACKSLASH = re.compile(
    r"(?<!\\)\\\\(?=(?:le|ge|leq|geq|lt|gt|ne|neq|frac|dfrac|tfrac|sqrt|text|boxed|cdot|times"
    r"|div|pi|infty|in|cup|cap|pm|mp|left|right|quad|qquad|mathrm|circ|angle)(?![A-Za-z]))"
)
# "0. 98": a space after the decimal point of a lone number below one ("1. 5" may be a list).
_SPACED_DECIMAL = re.compile(r"(-?0\.)\s+(\d+)")
# "根号3", "根号{3}": the Chinese name of the square root.
_CHINESE_ROOT = re.compile(r"根号\s*(\d+|\{[^{}]*\})")
# Numbers joined by "and": "1 和 3", "2 and 5" is the list 1, 3.
_NUMBER_LIST = re.compile(r"-?\d+(?:\.\d+)?(?:\s*(?:和|及|以及|\band\b)\s*-?\d+(?:\.\d+)?)+")
_NUMBER_CONNECTOR = re.compile(r"\s*(?:和|及|以及|\band\b)\s*")
# An exact value and its approximation: "\\frac{\\sqrt{3}}{3} \\approx 0.577" is the exact value.
_APPROXIMATE_VALUE = re.compile(r"\s*-?\d+(?:\.\d+)?\s*")
_EXACT = re.compile(r"[\d\\}]")
# An answer in quotes, also JSON-escaped ones: \"$12$ and $13$\".
_QUOTED = re.compile(r'\\?["“](.+?)\\?["”]', re.DOTALL)
_ANGLE_TAG = re.compile(r"<(?:eoa|eoe|eos|eot|/s)>\s*$")
# Decorations that do not change a value: "\\underline{42}", "\\color{red}{42}",
# "\\textcolor{red}{42}" (one level of nested braces inside).
_DECORATION = re.compile(
    r"\\(?:underline|(?:text)?color\s*\{[a-zA-Z!0-9]{1,20}\})\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}"
)
# A variable between two bounds: "-1<x<3", "0\\le x\\le 2" is the interval (-1,3), [0,2].
_BELOW = r"(?P<{0}><|\\lt(?![A-Za-z])|\\le(?:q|qslant)?(?![A-Za-z]))"
_BETWEEN = re.compile(
    r"(?P<low>[^<>=,;\\]*(?:\\[A-Za-z]+[^<>=,;\\]*)*?)\s*"
    + _BELOW.format("left")
    + r"\s*[A-Za-z]\s*"
    + _BELOW.format("right")
    + r"\s*(?P<high>[^<>=,;]+)"
)
_ASCII_RELATIONS = ((">=", r"\ge "), ("<=", r"\le "), ("!=", r"\ne "))
# (applied before whitespace is collapsed, so the space they add never doubles)
_LEADING_POINT = re.compile(r"(?<![\d.])\.(?=\d)")
_ROMAN_LETTER = re.compile(r"\\(?:mathrm|textrm|mathit)\s*\{\s*([A-Za-z])\s*\}")
_TEXT_GROUP = re.compile(r"\\(?:text|mbox|textrm|textnormal|textbf|textit|mathrm)\s*\{([^{}]*)\}")
_UNIT_TEXT_MAX_CHARS = 40
# Words in a \text{} that change the value rather than name its unit.
_VALUE_WORDS = re.compile(
    r"\b(?:less|more|fewer|least|most|than|roughly|nearly|million|billion|trillion|thousand|"
    r"hundred|dozen|factorial|below|above|zero|rejected|invalid|extraneous|repeating|ish|"
    r"increase|decrease|loss|gain|inverse|reciprocal|short|over|under|in|out|of|estimated|"
    r"likely|tentative\w*|nope|excluded|rejected|halves|thirds|quarters|probably|maybe)\b",
    re.IGNORECASE,
)
_AFTER_NUMBER = re.compile(r"[\d})](?:\s|\\[ ,;:!])*\Z")
# A lone number and words: "12 square cm", "5cm" — but not "2c" (a one-letter variable).
_NUMBER_AND_WORDS = re.compile(r"(\$?)-?\d+(?:[.,]\d+)*\1(?:\s+[^\d\s]|[^\d\s]{2})[^\d]{0,38}")
_LONE_NUMBER = re.compile(r"(\$?)-?\d+(?:[.,]\d+)*\1")
# A unit with an exponent: "12\\text{ cm}^2" is 12, never "12^2".
_UNIT_POWER = re.compile(
    r"\\(?:text|mbox|textrm|mathrm)\s*\{([^{}]*)\}\s*\^\s*(?:\{\s*[23]\s*\}|[23²³])"
)
_UNIT_TEXT = re.compile(r"[A-Za-z°/.\s^0-9²³-]*[A-Za-z°][A-Za-z°/.\s^0-9²³-]*")
_DOUBLE_COMMA = re.compile(r",(?:\s*,)+")
_CONNECTORS = frozenset({"and", "or", ",", "和", "或", "及"})
_PERCENT_WORDS = frozenset({"percent", "percentage", "pct"})


def to_halfwidth(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII; Unicode math symbols to LaTeX;
    invisible characters, look-alike letters and other digits folded (``characters.fold``)."""
    return fold(text).translate(_TRANSLATION)


def canonical_answer(text: str) -> str:
    """The form in which two answers that are written the same compare equal.

    Strips math delimiters, trailing sentence punctuation and end tags (``<eoa>``), collapses
    whitespace, maps full-width forms, writes ASCII relations (``>=``) as LaTeX, unwraps a font
    command around one letter (``\\mathrm{e}``), writes ``.5`` as ``0.5``, and removes
    digit-group separators from a lone number. It never changes the value an answer denotes.
    Applied until nothing changes, so it is idempotent.
    """
    if len(text) <= _MEMO_MAX_CHARS:
        return _canonical_memo(text)
    return _canonical(text)


def _canonical(text: str) -> str:
    for _ in range(_MAX_PASSES):
        canonical = _canonical_pass(text)
        if canonical == text:
            break
        text = canonical
    return text


_MAX_PASSES = 8
# Short answers repeat across the rollouts of a group and across steps: remember them.
_MEMO_MAX_CHARS = 256
_canonical_memo = functools.lru_cache(maxsize=16_384)(_canonical)


def _unit_text(inner: str) -> bool:
    """A short run of unit words ("cm", "square units", "km/h"), never one that changes the
    value ("million", "less than", "below zero", "in")."""
    return (
        len(inner) <= _UNIT_TEXT_MAX_CHARS
        and _UNIT_TEXT.fullmatch(inner) is not None
        and not QUALIFIER.search(inner)
        and not _CONNECTOR_WORD.search(inner)
        and not _VALUE_WORDS.search(inner)
    )


def _rewrite_text(group: re.Match[str]) -> str:
    """``\\text{…}`` inside an answer: a unit is dropped, "and"/"or" become a list comma,
    "percent" becomes ``\\%``. Anything else stays, so "3\\text{ is not the answer}" is not
    read as 3. (Math-Verify's own unit stripping deletes from the first ``\\text`` to the
    end, which turned "3 cm, 4 cm" into 3; the worker runs with it off.)"""
    inner = group.group(1).strip()
    lowered = inner.lower()
    if not inner:
        return " "
    if lowered in _CONNECTORS:
        return ", "
    if lowered in _PERCENT_WORDS:
        return r"\%"
    start = group.start()
    if _unit_text(inner) and _AFTER_NUMBER.search(group.string, max(0, start - 16), start):
        return " "
    return group.group(0)


def _constant(bound: str) -> bool:
    """A bound with no variable in it ("-\\frac{1}{2}", "\\pi", "\\infty"): "a<b<c" orders
    three names and is no interval."""
    return bool(bound.strip()) and not _LATIN.search(_LATEX_COMMAND_NAME.sub("", bound))


_LATIN = re.compile(r"[A-Za-z]")
_LATEX_COMMAND_NAME = re.compile(r"\\[A-Za-z]+")


def _interval(between: re.Match[str]) -> str:
    """The interval a variable between two bounds ranges over: ``<`` is open, ``\\le`` closed."""
    opening = "(" if between.group("left").strip() in ("<", r"\lt") else "["
    closing = ")" if between.group("right").strip() in ("<", r"\lt") else "]"
    return f"{opening}{between.group('low').strip()},{between.group('high').strip()}{closing}"


def _bold_removed(text: str) -> str:
    """An answer in Markdown bold (``**73**``, or the closing ``**`` left after an anchor): the
    stars are not math (no expression ends in ``**``)."""
    if text.endswith("**"):
        text = text[:-2].rstrip()
    if text.startswith("**"):
        text = text[2:].lstrip()
    return text


def _canonical_pass(text: str) -> str:
    text = _DOUBLED_BACKSLASH.sub(r"\\", to_halfwidth(text).replace("~", " "))
    text = _CHINESE_ROOT.sub(lambda m: r"\sqrt{" + m.group(1).strip("{}") + "}", text)
    for ascii_form, latex in _ASCII_RELATIONS:
        text = text.replace(ascii_form, latex)
    text = _ANGLE_TAG.sub("", text.strip())
    text = _SPACE_RUN.sub(" ", text).strip().rstrip(_TRAILING)
    text = _DECORATION.sub(r"\1", _bold_removed(text))
    quoted = _QUOTED.fullmatch(text)
    if quoted is not None:
        text = quoted.group(1).strip()
    changed = True
    while changed:
        changed = False
        for opening, closing in _DELIMITERS:
            if (
                len(text) > len(opening) + len(closing)
                and text.startswith(opening)
                and text.endswith(closing)
                and opening not in text[len(opening) : -len(closing)]
            ):
                text = text[len(opening) : -len(closing)].strip().rstrip(_TRAILING)
                changed = True
    text = text.replace(r"\dfrac", r"\frac").replace(r"\tfrac", r"\frac")
    text = _ROMAN_LETTER.sub(r"\1", text)
    whole = _TEXT_GROUP.fullmatch(text)
    if whole is not None:  # a text answer: "\\text{Evelyn}" is "Evelyn"
        text = whole.group(1).strip()
    text = _UNIT_POWER.sub(lambda m: " " if _unit_text(m.group(1).strip()) else m.group(0), text)
    text = _DOUBLE_COMMA.sub(",", _TEXT_GROUP.sub(_rewrite_text, text))
    if _NUMBER_AND_WORDS.fullmatch(text):
        # "12 square cm": Math-Verify's own list of unit words, only after a lone number (the
        # list holds one-letter words, and "4 + 2s" must not become "4 + 2")
        bare = UNITS_AT_END.sub(r"\1", UNITS_AT_END.sub(r"\1", text).rstrip()).rstrip()
        if _LONE_NUMBER.fullmatch(bare):
            text = bare
    text = without_unit(text)
    text = _LEADING_POINT.sub("0.", text)
    if _MATH_LIST.fullmatch(text):
        text = ", ".join(piece.strip() for piece in re.findall(_MATH_PIECE, text))
    text = _PERCENT_WORD.sub(r"\\%", _CURRENCY.sub("", text))
    label = _LIST_LABEL.match(text)
    if label is not None and "=" not in text[label.end() :] and "," in text[label.end() :]:
        text = text[label.end() :]
    exact, approx, value = text.rpartition(r"\approx")
    if approx and _APPROXIMATE_VALUE.fullmatch(value) and _EXACT.search(exact):
        text = exact.strip()
    between = _BETWEEN.fullmatch(text) if len(text) <= _MEMO_MAX_CHARS else None
    if between is not None and all(_constant(between.group(b)) for b in ("low", "high")):
        text = _interval(between)
    if _SPACED_DECIMAL.fullmatch(text):
        text = _SPACED_DECIMAL.sub(r"\1\2", text)
    if _NUMBER_LIST.fullmatch(text):
        text = _NUMBER_CONNECTOR.sub(", ", text)
    if _GROUPED_NUMBER.fullmatch(text):
        text = _GROUP_SEPARATOR.sub("", text)
    return text


# Words that negate, hedge or transform a stated value: next to an answer, they mean the
# value is not simply the answer.
QUALIFIER = re.compile(
    r"\b(?:not|no|never|cannot|wrong|incorrect|false|except|excluding|other|neither|nor|or|"
    r"either|maybe|perhaps|possibly|probably|might|unless|if|impossible|fails?|failed|unsure|"
    r"guess|doubt|squared|cubed|plus|minus|times|half|twice|double|triple|root|power|"
    r"approximately|about|around)\b|n't|不(?!同)|非|没|无|错|或|可能|如果|假设|猜|大约",
    re.IGNORECASE,
)
"""Words that qualify or negate a value; "不同" (different) is no negation."""
_CONNECTOR_WORD = re.compile(r"\b(?:and|or)\b", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATEX_TEXT = re.compile(r"\\(?:text|mathrm|textbf|mbox)\s*\{[^{}]*\}")
_LATEX_COMMAND = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}|\\[A-Za-z]+")
_WORD = re.compile(r"[A-Za-z]{3,}")


def is_prose(text: str) -> bool:
    """True when ``text`` is words rather than one mathematical expression: any CJK character,
    or two or more words of three letters or more outside LaTeX commands, environment names
    and ``\\text{}``."""
    if _CJK.search(text):
        return True
    bare = _LATEX_COMMAND.sub(" ", _LATEX_TEXT.sub(" ", text))
    return len(_WORD.findall(bare)) >= 2
