"""Ordered blanks: an answer to several blanks whose parts have a position.

A gold whose parts are numbered (``(1) 3 (2) 5``, ``①3 ②5``, ``第一空3 第二空5``) or separated
by semicolons (``3; 5``, ``3；5``) answers blanks in order: its parts are compared with the
answer's position by position, so the right values in the wrong order are wrong. A plain comma
list (``3, 5``) is a set of values unless the problem says the order ("respectively", "in
order", 依次, 分别); tuples in parentheses are already ordered by the verifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reward_service.pipeline.extraction import split_list
from reward_service.pipeline.normalize import canonical_answer
from reward_service.verifiers.numerals import is_comma_numeral

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_CHINESE_ORDINALS = "一二三四五六七八九十"
_MARK_TAIL = r"\s*[.:：、．]?\s*"
_MAX_BLANKS = len(_CIRCLED)


def _numbered(position: int) -> str:
    return rf"[(（]\s*{position}\s*[)）]{_MARK_TAIL}"


def _circled(position: int) -> str:
    return rf"{_CIRCLED[position - 1]}{_MARK_TAIL}"


def _chinese_blank(position: int) -> str:
    return rf"第\s*(?:{position}|{_CHINESE_ORDINALS[position - 1]})\s*空{_MARK_TAIL}"


# One marker per class of numbered blanks, by name: the pattern of the marker of a position.
MARKERS: dict[str, Callable[[int], str]] = {
    "numbered": _numbered,
    "circled": _circled,
    "chinese_blank": _chinese_blank,
}
_SAYS_ORDER = re.compile(
    r"\b(?:respectively|in (?:that |this |the given )?order|in order)\b|依次|分别",
    re.IGNORECASE,
)
_WRAPPERS = re.compile(r"\$+|\\[()\[\]]|\\q?quad\b")
# A set or a tuple around the whole answer: its elements are the parts, in the order written.
_ENCLOSED = re.compile(r"\A(?:\\\{(.*)\\\}|\((.*)\))\Z", re.DOTALL)


def says_order(problem: str | None) -> bool:
    """Whether the problem asks for its answers in a given order."""
    return problem is not None and _SAYS_ORDER.search(problem) is not None


def ordered_blanks(text: str, in_order: bool = False) -> tuple[str, ...] | None:
    """The canonical parts of ``text`` in order when it is written as numbered blanks or
    parts separated by semicolons, or as a comma list when ``in_order`` (the problem says the
    order, and it is not one number with a comma in it: ``50,625``); None for one answer or a
    plain list."""
    canonical = canonical_answer(text)
    return (
        numbered_blanks(text)
        or _separated(canonical, ";")
        or (_separated(canonical, ",") if in_order and not is_comma_numeral(canonical) else None)
    )


def numbered_blanks(text: str) -> tuple[str, ...] | None:
    """The canonical parts of ``text`` when it opens with the marker of blank 1 and numbers
    every part after it in sequence (``(1) 3 (2) 5``); None otherwise or when a part is
    empty (``(1)(2)(3)`` lists statement numbers, not blanks)."""
    body = _WRAPPERS.sub(" ", text).strip()
    for marker in MARKERS.values():
        first = re.match(marker(1), body)
        if first is None:
            continue
        parts: list[str] = []
        rest = body[first.end() :]
        for position in range(2, _MAX_BLANKS + 1):
            found = re.search(marker(position), rest)
            if found is None:
                break
            parts.append(rest[: found.start()])
            rest = rest[found.end() :]
        parts.append(rest)
        canonical = tuple(canonical_answer(part.strip(" ;；,，.。")) for part in parts)
        if len(canonical) > 1 and all(canonical):
            return canonical
        return None
    return None


def split_parts(answer: str, count: int) -> tuple[str, ...] | None:
    """An answer split into ``count`` parts in order: numbered blanks, else the parts at a
    top-level ``;`` (else ``,``) separator, else the elements of a set or tuple around the
    whole answer (``\\{-2, 1\\}``, ``(1, 3)``); None when it does not have exactly that
    many."""
    numbered = numbered_blanks(answer)
    if numbered is not None:
        return numbered if len(numbered) == count else None
    body = canonical_answer(answer)
    inside = _ENCLOSED.match(body)
    for text in (body, inside.group(1) or inside.group(2)) if inside else (body,):
        for separator in ";,":
            parts = _separated(text, separator)
            if parts is not None and len(parts) == count:
                return parts
    return None


def _separated(text: str, separator: str) -> tuple[str, ...] | None:
    """The canonical parts of ``text`` at a top-level ``separator``; None for fewer than two
    parts or an empty one."""
    canonical = tuple(canonical_answer(piece) for piece in split_list(text, separator))
    if len(canonical) > 1 and all(canonical):
        return canonical
    return None
