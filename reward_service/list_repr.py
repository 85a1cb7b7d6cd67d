"""Lists of strings written as Python or numpy reprs, as trainers' dumps store list golds.

verl stringifies a numpy array of accepted answers (``"['1' '2']"``, elements separated by
whitespace, possibly across lines); other dumps keep a Python list repr (``"['1', '2']"``).
Neither is JSON. This reads exactly those two forms, quoted string elements only, with the
escapes ``repr`` writes; anything else is refused, never guessed (no ``eval``).
"""

from __future__ import annotations

import re

_ELEMENT = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)\"""", re.DOTALL)
_SEPARATOR = re.compile(r"\s*,\s*|\s+")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_SIMPLE = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}


class NotAListRepr(ValueError):
    """The text looks like a list but is not a list of quoted strings in repr form."""


def _unescape(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _SIMPLE:
            return _SIMPLE[code]
        if code[0] in "xuU" and len(code) > 1:
            return chr(int(code[1:], 16))
        raise NotAListRepr(f"unknown escape \\{code}")

    return _ESCAPE.sub(one, body)


def parse_list_repr(text: str) -> list[str]:
    """The elements of ``"['a' 'b']"`` or ``"['a', 'b']"``; raises :class:`NotAListRepr`."""
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise NotAListRepr("not bracketed")
    inner = inner[1:-1].strip()
    items: list[str] = []
    at = 0
    while at < len(inner):
        if items:
            gap = _SEPARATOR.match(inner, at)
            if gap is None:
                raise NotAListRepr(f"expected a separator at offset {at}")
            at = gap.end()
        match = _ELEMENT.match(inner, at)
        if match is None:
            raise NotAListRepr(f"expected a quoted string at offset {at}")
        body = match.group(1) if match.group(1) is not None else match.group(2)
        items.append(_unescape(body))
        at = match.end()
    if not items:
        raise NotAListRepr("empty list")
    return items
