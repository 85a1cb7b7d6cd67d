"""A cheap, conservative size estimate of a LaTeX answer, made before any worker sees it.

Power towers (``9^{9^{9^{9}}}``, ``2^{2^{2^{100}}}``) and factorials of huge numbers
(``10^{10^{10}}!``) make sympy compute numbers with billions of digits: each distinct one costs
a worker its full deadline. :func:`astronomical` reads the text with a tiny grammar (numbers,
braces and parentheses, ``^``, ``!``, ``\\frac``, sums and products) and estimates, for every
power and factorial in it, the number of decimal digits of its value. Anything it cannot read
(a letter, an unknown command) counts as unknown and never makes an answer astronomical, so
ordinary answers (``2^{10}``, ``10^{100}``, ``100!``, ``\\frac{1}{2004!}``, ``x^{10^{6}}``) are
never rejected. Linear in the text, depth-bounded.
"""

from __future__ import annotations

import math
import re

MAX_DIGITS = 1e6
"""A power or factorial with more decimal digits than this is astronomical: sympy would need
seconds to minutes (and gigabytes) to build it, far past any verification deadline, while the
largest numbers in real answers have a few thousand digits (``2^{2004}``, ``2004!``)."""
_MAX_DEPTH = 64
"""Deeper nesting is not read (it counts as unknown): bounds the recursion."""
_TOKEN = re.compile(
    r"\s*(\d+(?:\.\d*)?|\.\d+|\\[dt]?frac|\\left|\\right|\\cdot|\\times|\\[a-zA-Z]+|\S)"
)
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_PRODUCT = {"*", "\\cdot", "\\times", "/"}
_SUMS = ("+", "-")
_SUM = set(_SUMS)
_OPEN = {"{": "}", "(": ")", "[": "]"}

Log = float | None
"""log10 of a value's magnitude, or None when the value is unknown (a symbol, a command)."""


def _log10(number: str) -> float:
    """log10 of a decimal numeral of any length (a float would overflow past 308 digits)."""
    whole, _, fraction = number.partition(".")
    whole = whole.lstrip("0")
    if whole:
        digits = whole + fraction
        return len(whole) - 1 + math.log10(float(f"{digits[0]}.{digits[1:16]}0"))
    significant = fraction.lstrip("0")
    if not significant:
        return 0.0  # zero: its powers are cheap
    leading = len(fraction) - len(significant)
    return -leading - 1 + math.log10(float(f"{significant[0]}.{significant[1:16]}0"))


class _Astronomical(Exception):
    pass


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens = [t for t in _TOKEN.findall(text) if t not in ("\\left", "\\right")]
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str | None:
        token = self.peek()
        self.at += 1
        return token

    def expression(self, depth: int, close: str | None) -> Log:
        """Terms joined by + and - up to ``close`` (or the end): a sum is at least its largest
        term; a difference may cancel, so its size is unknown. Items of a list (commas) are
        read one by one."""
        result: Log = None
        first, cancels = True, False
        while (token := self.peek()) is not None and token != close:
            if token in _SUM or token == ",":
                self.take()
                cancels = cancels or (token == "-" and not first)
                first = first or token == ","
                continue
            value = self.term(depth, close)
            first = False
            if value is not None:
                result = value if result is None else max(result, value)
        return None if cancels else result

    def term(self, depth: int, close: str | None) -> Log:
        """Factors joined by * / \\cdot \\times or side by side: the sizes add up (divided:
        subtract); one unknown factor makes the product unknown."""
        value: Log = 0.0
        divide = False
        while (token := self.peek()) is not None and token not in (close, ",", *_SUMS):
            if token in _PRODUCT:
                self.take()
                divide = token == "/"
                continue
            factor = self.power(depth)
            if value is not None:
                value = None if factor is None else value - factor if divide else value + factor
            divide = False
        return value

    def power(self, depth: int) -> Log:
        """``base ^ exponent``, then any ``!``: the power's digits are checked here."""
        base = self.postfix(self.atom(depth))
        if self.peek() != "^":
            return base
        self.take()
        exponent = self.atom(depth)
        if base is None or exponent is None:
            return self.postfix(None)
        size = abs(base)
        if size < 1e-12:  # 1^n and similar: cheap however large n is
            return self.postfix(0.0)
        digits = math.inf if exponent > 300 else size * 10**exponent
        if digits > MAX_DIGITS:
            raise _Astronomical
        return self.postfix(digits if base > 0 else -digits)

    def postfix(self, value: Log) -> Log:
        while self.peek() == "!":
            self.take()
            if value is None:
                continue
            if value > 300:
                raise _Astronomical
            if value < 0:  # the factorial of a fraction: not an integer factorial
                return None
            n = 10**value
            digits = n * max(math.log10(n) - 0.4343, 0.0)  # Stirling, a lower bound
            if digits > MAX_DIGITS:
                raise _Astronomical
            value = digits
        return value

    def atom(self, depth: int) -> Log:
        token = self.take()
        if token is None:
            return None
        if token in _OPEN:
            if depth >= _MAX_DEPTH:
                return None
            value = self.expression(depth + 1, _OPEN[token])
            self.take()
            return value
        if token in ("\\frac", "\\dfrac", "\\tfrac"):
            top = self.atom(depth + 1)
            bottom = self.atom(depth + 1)
            return None if top is None or bottom is None else top - bottom
        if _NUMBER.fullmatch(token):
            return _log10(token)
        return None


def astronomical(latex: str) -> bool:
    """True when a power or factorial in ``latex`` evidently has more than
    :data:`MAX_DIGITS` decimal digits."""
    reader = _Reader(latex)
    try:
        while reader.peek() is not None:
            reader.expression(0, None)
            reader.take()  # an unmatched closing bracket
    except _Astronomical:
        return True
    except (ArithmeticError, ValueError, RecursionError):  # unreadable: never a reason to reject
        return False
    return False
