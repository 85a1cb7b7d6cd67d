"""What the cache stores, as small versioned JSON: decisions (answer level) and result records
(request level). Anything that does not decode is a miss, never a guess.

Decoding a result is on the path of every request-level hit, so it is kept cheap: enum members
come from dicts (not ``Enum(value)`` calls), and the last few thousand distinct stored texts
are remembered with their records (a GRPO group's identical answers store identical records).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, TypeVar

from reward_service.types import Blame, Reason, Route, Status, Verdict
from reward_service.verdicts import Decision

RECORD_VERSION = 1
DECODED_MEMO = 4096
"""Distinct stored result texts remembered with their (immutable) records."""
E = TypeVar("E", Status, Verdict, Reason, Route)


class Undecodable(ValueError):
    """A stored value that is not a record of this version (garbage, older format)."""


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """Everything of a result that does not depend on the call: enough to answer an identical
    request again without running the pipeline. The reward is recomputed from the table."""

    status: Status
    verdict: Verdict | None
    reason: Reason
    route: Route
    route_reason: str | None
    extracted_answer: str | None
    parts: tuple[tuple[Verdict | None, str | None], ...] | None
    fraction_correct: float
    detail: str | None
    blame: Blame | None = None
    """Set only on unscorable records, which are never stored."""


def _members(enum: type[E]) -> dict[Any, E]:
    return {member.value: member for member in enum}


_STATUS = _members(Status)
_VERDICT: dict[Any, Verdict | None] = {None: None, **_members(Verdict)}
_REASON = _members(Reason)
_ROUTE = _members(Route)


def encode_decision(decision: Decision) -> str:
    return json.dumps(
        {
            "v": RECORD_VERSION,
            "verdict": decision.verdict,
            "reason": decision.reason,
            "parts": decision.part_verdicts,
            "fraction": decision.fraction_correct,
        }
    )


def decode_decision(text: str) -> Decision:
    try:
        data = json.loads(text)
        if data["v"] != RECORD_VERSION:
            raise Undecodable("record version")
        parts = data["parts"]
        return Decision(
            verdict=_VERDICT[data["verdict"]],
            reason=_REASON[data["reason"]],
            part_verdicts=None if parts is None else tuple(_VERDICT[p] for p in parts),
            fraction_correct=float(data["fraction"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise Undecodable(str(error)) from error


_RESULT_FIELDS = fields(ResultRecord)  # "blame" is not stored: stored records are never unscorable


def encode_result(record: ResultRecord) -> str:
    # shallow: ``asdict`` deep-copies every field, on every result stored
    values = {f.name: getattr(record, f.name) for f in _RESULT_FIELDS if f.name != "blame"}
    return json.dumps({"v": RECORD_VERSION, **values}, ensure_ascii=False)


@lru_cache(maxsize=DECODED_MEMO)
def decode_result(text: str) -> ResultRecord:
    try:
        data = json.loads(text)
        if data.pop("v") != RECORD_VERSION:
            raise Undecodable("record version")
        parts = data["parts"]
        return ResultRecord(
            status=_STATUS[data["status"]],
            verdict=_VERDICT[data["verdict"]],
            reason=_REASON[data["reason"]],
            route=_ROUTE[data["route"]],
            route_reason=data["route_reason"],
            extracted_answer=data["extracted_answer"],
            parts=None if parts is None else tuple((_VERDICT[v], a) for v, a in parts),
            fraction_correct=float(data["fraction_correct"]),
            detail=data["detail"],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise Undecodable(str(error)) from error
