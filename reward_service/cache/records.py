"""What the cache stores, as small versioned JSON: decisions (answer level) and result records
(request level). Anything that does not decode is a miss, never a guess."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from reward_service.types import Reason, Route, Status, Verdict
from reward_service.verdicts import Decision

RECORD_VERSION = 1


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


def _verdict(value: Any) -> Verdict | None:
    return None if value is None else Verdict(value)


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
            verdict=_verdict(data["verdict"]),
            reason=Reason(data["reason"]),
            part_verdicts=None if parts is None else tuple(_verdict(p) for p in parts),
            fraction_correct=float(data["fraction"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise Undecodable(str(error)) from error


def encode_result(record: ResultRecord) -> str:
    return json.dumps({"v": RECORD_VERSION, **asdict(record)}, ensure_ascii=False)


def decode_result(text: str) -> ResultRecord:
    try:
        data = json.loads(text)
        if data.pop("v") != RECORD_VERSION:
            raise Undecodable("record version")
        parts = data["parts"]
        return ResultRecord(
            status=Status(data["status"]),
            verdict=_verdict(data["verdict"]),
            reason=Reason(data["reason"]),
            route=Route(data["route"]),
            route_reason=data["route_reason"],
            extracted_answer=data["extracted_answer"],
            parts=None if parts is None else tuple((_verdict(v), a) for v, a in parts),
            fraction_correct=float(data["fraction_correct"]),
            detail=data["detail"],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise Undecodable(str(error)) from error
