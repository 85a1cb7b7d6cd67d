"""Units and counter words after a number: a closed, named list of what may follow a value
without changing it (``8 m``, ``8\\,\\mathrm{m}``, ``8cm²``, ``8米``, ``6种``), so the number is
the answer. Units are dropped, never converted: ``8 km`` is 8, so it does not equal a gold of
``8000 m`` (8000).
"""

from __future__ import annotations

import re

SI_UNITS = (
    # length, area and volume come with an exponent: "cm²", "m^2"
    "m", "cm", "mm", "km", "nm", "dm", "μm", "µm",
    # mass, time, amount, temperature
    "g", "kg", "mg", "t", "s", "ms", "min", "h", "hr", "mol", "°C", "K",
    # volume
    "L", "mL", "ml",
    # derived units
    "N", "J", "kJ", "W", "kW", "Pa", "kPa", "V", "Hz", "kHz", "Ω",
)  # fmt: skip
"""SI units, base and derived, with their common prefixes. No bare ``A`` or ``C``: a letter
after a number may be an option. A one-letter unit must be set apart from its number (``8 m``,
``8\\,\\mathrm{m}``): ``3m`` may be three times ``m``."""
COMPOUND_UNITS = ("m/s", "km/h", "m/s^2", "m/s²", "g/cm^3", "g/cm³", "kg/m^3", "kg/m³")
"""Units written as a quotient."""
CHINESE_COUNTERS = (
    "个", "种", "人", "次", "天", "元", "米", "厘米", "分米", "千米", "公里", "克", "千克", "秒",
    "分钟", "小时", "度", "岁", "条", "块", "本", "张", "辆", "只", "项", "位",
)  # fmt: skip
"""Chinese measure words and units that count or measure a number without changing it."""


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_POWER = r"(?:\^\{?[23]\}?|[²³])?"
_LONG_SI = tuple(u for u in SI_UNITS if len(u) > 1)
_UNIT = rf"(?:{_alternatives(COMPOUND_UNITS)}|{_alternatives(SI_UNITS)}){_POWER}"
_LONG_UNIT = rf"(?:{_alternatives(COMPOUND_UNITS)}|{_alternatives(_LONG_SI)}){_POWER}"
_COUNTER = _alternatives(CHINESE_COUNTERS)
# Characters that make a counted noun a part or a bound of the count ("6种之一", "6个中",
# "6个多", "6种以外"): never in the noun a counter word may lead to.
_NOT_A_NOUN = "之中多余外内以前后上下"
COUNTER_WORD = re.compile(rf"\s*(?:{_COUNTER})\s*")
"""One Chinese counter word, with the space around it: a statement's unit tail ("共有6种")."""
COUNTED = re.compile(rf"\s*(?:{_COUNTER})\s*(?:不同的?|的)?[^\W\d_{_NOT_A_NOUN}a-zA-Z]{{1,4}}\s*")
"""A Chinese counter word and the short noun it counts ("6种不同的排法", "6个人"): a unit tail
only in a sentence that opens with a conclusion ("因此，共有6种不同的排法"); elsewhere it
describes ("这个故事里有 5 个人")."""
_NUMBER = r"-?\d+(?:\.\d+)?|-?\\frac\s*\{\s*-?\d+\s*\}\s*\{\s*\d+\s*\}|-?\d+\s*/\s*\d+"
_SPACE = r"(?:\s|\\[,;:! ]|\\q?quad\b|~)"
_NUMBER_WITH_UNIT = re.compile(
    rf"(?P<number>{_NUMBER})(?:"
    rf"{_SPACE}*\\(?:mathrm|text|rm|mbox)\s*\{{\s*(?:{_UNIT})\s*\}}{_POWER}"
    rf"|{_SPACE}+(?:{_UNIT})|(?:{_LONG_UNIT})|{_SPACE}*(?:{_COUNTER}))"
)


def without_unit(text: str) -> str:
    """``text`` without the unit or counter word after its number when it is one number and
    one unit of the lists above; else ``text`` as it is."""
    match = _NUMBER_WITH_UNIT.fullmatch(text.strip())
    return match.group("number") if match is not None else text
