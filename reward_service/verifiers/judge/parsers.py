"""Verdict parsers, by name: each names the output constraint it needs for a number of parts
and parses the judge's reply strictly. Anything that does not parse is
:class:`UnparsableVerdict` (→ ``unscorable/judge_unparsable``), never a verdict."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ConstraintKind(StrEnum):
    JSON_SCHEMA = "json_schema"
    CHOICE = "choice"
    REGEX = "regex"


@dataclass(frozen=True, slots=True)
class Constraint:
    kind: ConstraintKind
    value: Any
    """The JSON schema, the list of choices, or the regex."""


class UnparsableVerdict(ValueError):
    """The judge's reply is not a verdict in the expected form."""


@dataclass(frozen=True, slots=True)
class JudgeVerdict:
    """Per-part correctness; ``process_sound`` is None when the parser does not judge it;
    ``invalid`` marks a reply that calls the answer itself invalid (cut off, refusal)."""

    parts: tuple[bool, ...]
    process_sound: bool | None = None
    invalid: bool = False


@dataclass(frozen=True, slots=True)
class Parser:
    constraint: Callable[[int], Constraint]
    parse: Callable[[str, int], JudgeVerdict]


def _json_parts(with_process: bool) -> Parser:
    """One "correct"/"incorrect" per part, and with ``with_process`` a "sound"/"flawed"
    verdict on the solving process; exactly these keys."""
    keys = {"parts", "process"} if with_process else {"parts"}

    def constraint(parts: int) -> Constraint:
        verdict = {"type": "string", "enum": ["correct", "incorrect"]}
        properties: dict[str, Any] = {
            "parts": {"type": "array", "items": verdict, "minItems": parts, "maxItems": parts}
        }
        if with_process:
            properties["process"] = {"type": "string", "enum": ["sound", "flawed"]}
        return Constraint(
            ConstraintKind.JSON_SCHEMA,
            {
                "type": "object",
                "properties": properties,
                "required": sorted(keys),
                "additionalProperties": False,
            },
        )

    def parse(text: str, parts: int) -> JudgeVerdict:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise UnparsableVerdict("not JSON") from error
        if not isinstance(data, dict) or set(data) != keys:
            raise UnparsableVerdict(f"keys must be exactly {sorted(keys)}")
        verdicts = data["parts"]
        if (
            not isinstance(verdicts, list)
            or len(verdicts) != parts
            or any(v not in ("correct", "incorrect") for v in verdicts)
        ):
            raise UnparsableVerdict(f"parts must be {parts} of correct/incorrect")
        process = data.get("process", "sound")
        if process not in ("sound", "flawed"):
            raise UnparsableVerdict("process must be sound or flawed")
        sound = process == "sound" if with_process else None
        return JudgeVerdict(tuple(v == "correct" for v in verdicts), sound)

    return Parser(constraint, parse)


def _choice(options: dict[str, bool | None]) -> Parser:
    """A single token reply; None marks the 'invalid answer' option."""

    def parse(text: str, parts: int) -> JudgeVerdict:
        reply = text.strip()
        if reply not in options:
            raise UnparsableVerdict(f"reply must be one of {sorted(options)}")
        value = options[reply]
        return JudgeVerdict((bool(value),) * parts, invalid=value is None)

    return Parser(lambda parts: Constraint(ConstraintKind.CHOICE, list(options)), parse)


_FINAL_DECISION = re.compile(r"Final Decision: (Yes|No)")


def _final_decision_parse(text: str, parts: int) -> JudgeVerdict:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    decisions = [m for line in lines if (m := _FINAL_DECISION.fullmatch(line))]
    if not lines or not _FINAL_DECISION.fullmatch(lines[-1]) or len(decisions) != 1:
        raise UnparsableVerdict("the reply must end with exactly one 'Final Decision: Yes|No'")
    return JudgeVerdict((decisions[0].group(1) == "Yes",) * parts)


PARSERS: dict[str, Parser] = {
    "json_parts": _json_parts(with_process=True),
    "json_answers": _json_parts(with_process=False),
    "choice_abc": _choice({"A": True, "B": False, "C": None}),
    "correct_incorrect": _choice({"Correct": True, "Incorrect": False}),
    "final_decision": Parser(
        lambda parts: Constraint(
            ConstraintKind.REGEX, r"[^\n]{0,400}(\n[^\n]{0,400}){0,30}\nFinal Decision: (Yes|No)"
        ),
        _final_decision_parse,
    ),
}
