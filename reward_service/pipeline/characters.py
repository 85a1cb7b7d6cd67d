"""Characters that look like ASCII but are not, folded before an answer is read.

Three classes of input, each of which a model (or a policy probing the reward) writes:

- *invisible characters* (zero-width spaces and joiners, the word joiner, the BOM, soft
  hyphens): they split words such as "n\\u200bot" so that a negation is no longer seen;
  removed.
- *look-alike letters* from Cyrillic and Greek (a Cyrillic "о" in "nоt"): folded to the Latin
  letter they imitate, so that words keep their meaning for the readers that look for them.
  Greek letters used as mathematical symbols (α, β, π, …) are not look-alikes and stay.
- *other digits*: mathematical bold/double-struck/monospace digits and letters (𝟒𝟐, 𝐱), and
  the decimal digits of other scripts (Arabic-Indic ٤٢, Devanagari, …), to ASCII.

The table is built once; :func:`fold` is one ``str.translate``, linear in the text.
"""

from __future__ import annotations

import unicodedata

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
# Cyrillic and Greek letters drawn like a Latin one (Unicode's confusables, the common ones).
_LOOK_ALIKES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ӏ": "l", "һ": "h", "ԛ": "q", "ԝ": "w",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "ο": "o", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip


class _Folding(dict[int, str | None]):
    """The translation table: fixed entries, and every other character worked out on its first
    look-up (``str.translate`` asks the mapping per character) and remembered."""

    def __missing__(self, code: int) -> str | None:
        if code < 0x80:
            raise LookupError(code)  # ASCII stays as it is
        char = chr(code)
        folded: str | None = None
        if unicodedata.category(char) == "Nd":
            folded = str(unicodedata.decimal(char))
        elif 0x1D400 <= code < 0x1D800:  # Mathematical Alphanumeric Symbols
            nfkc = unicodedata.normalize("NFKC", char)
            folded = nfkc if nfkc.isascii() and nfkc.isalnum() else None
        if folded is None:
            self[code] = char
            return char
        self[code] = folded
        return folded


_TABLE = _Folding({ord(c): None for c in _INVISIBLE})
_TABLE.update({ord(k): v for k, v in _LOOK_ALIKES.items()})
# Bounds the memo: a hostile text holds at most this many distinct characters worth keeping.
_MEMO_MAX = 65_536


def fold(text: str) -> str:
    """``text`` with invisible characters removed and look-alike letters and non-ASCII
    digits written in ASCII (see the module docstring)."""
    if text.isascii():
        return text
    if len(_TABLE) > _MEMO_MAX:
        _reset()
    return text.translate(_TABLE)


def _reset() -> None:
    for code in [c for c in _TABLE if chr(c) not in _INVISIBLE and chr(c) not in _LOOK_ALIKES]:
        del _TABLE[code]
