"""Protobuf ⇄ domain types for reward.v1 (used by the gRPC servicer and the gRPC client)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2 as pb
from reward_service.jsonl import invalid_request, request_from_json
from reward_service.types import (
    Blame,
    GoldParts,
    PartResult,
    Provenance,
    Reason,
    Route,
    RouteHint,
    ScoreRequest,
    ScoreResult,
    Status,
    Template,
    Verdict,
)

E = TypeVar("E", bound=StrEnum)

# proto enum type, its name prefix, and the domain enum it mirrors (values 0 = unspecified)
_ENUMS: dict[type[StrEnum], tuple[Any, str]] = {
    Template: (pb.Template, "TEMPLATE_"),
    RouteHint: (pb.RouteHint, "ROUTE_HINT_"),
    Status: (pb.Status, "STATUS_"),
    Verdict: (pb.Verdict, "VERDICT_"),
    Route: (pb.Route, "ROUTE_"),
    Blame: (pb.Blame, "BLAME_"),
}


def enum_to_proto(member: StrEnum | None) -> Any:
    """A domain enum member as its proto number (None → 0, unspecified). Typed Any: the
    generated stubs name each enum's wrapper type, which is an int at run time."""
    if member is None:
        return 0
    proto_enum, prefix = _ENUMS[type(member)]
    return int(proto_enum.Value(prefix + member.name))


def enum_from_proto(kind: type[E], number: int) -> E | None:
    """A proto enum number as the domain member (0 → None)."""
    if number == 0:
        return None
    proto_enum, prefix = _ENUMS[kind]
    return kind[proto_enum.Name(number).removeprefix(prefix)]


def _gold_to_json(gold: pb.Gold) -> Any:
    kind = gold.WhichOneof("kind")
    if kind == "answer":
        return gold.answer
    if kind == "alternatives":
        return list(gold.alternatives.answers)
    if kind == "parts":
        return {"parts": [list(p.answers) for p in gold.parts.parts]}
    return None


def request_from_proto(message: pb.ScoreRequest, where: str) -> ScoreRequest | ScoreResult:
    """A domain request, or the ``invalid_request`` result the other doors give for it."""
    request_id = message.id if message.HasField("id") else None
    try:
        template = enum_from_proto(Template, message.template) or Template.R1
        route = enum_from_proto(RouteHint, message.route) or RouteHint.AUTO
    except (ValueError, KeyError):  # proto3 enums are open: a newer client's number
        return invalid_request(where, "unknown enum value in template or route", request_id)
    data: dict[str, Any] = {
        "id": request_id,
        "response": message.response,
        "gold": _gold_to_json(message.gold),
        "template": template,
        "route": route,
        "truncated": message.truncated,
    }
    for optional in ("problem", "data_source", "think_in_prompt"):
        if message.HasField(optional):
            data[optional] = getattr(message, optional)
    return request_from_json(data, where)


def request_to_proto(request: ScoreRequest) -> pb.ScoreRequest:
    gold = request.gold
    if isinstance(gold, GoldParts):
        proto_gold = pb.Gold(
            parts=pb.Parts(
                parts=[
                    pb.Alternatives(answers=[p] if isinstance(p, str) else p) for p in gold.parts
                ]
            )
        )
    elif isinstance(gold, list):
        proto_gold = pb.Gold(alternatives=pb.Alternatives(answers=gold))
    else:
        proto_gold = pb.Gold(answer=gold)
    return pb.ScoreRequest(
        id=None if request.id is None else str(request.id),
        response=request.response,
        gold=proto_gold,
        problem=request.problem,
        data_source=request.data_source,
        think_in_prompt=request.think_in_prompt,
        template=enum_to_proto(request.template),
        route=enum_to_proto(request.route),
        truncated=request.truncated,
    )


def result_to_proto(result: ScoreResult) -> pb.ScoreResult:
    provenance = result.provenance
    return pb.ScoreResult(
        id=None if result.id is None else str(result.id),
        status=enum_to_proto(result.status),
        verdict=enum_to_proto(result.verdict),
        reason=result.reason.value,
        reward=result.reward,
        route=enum_to_proto(result.route),
        route_reason=result.route_reason,
        extracted_answer=result.extracted_answer,
        parts=[
            pb.PartResult(
                index=p.index, verdict=enum_to_proto(p.verdict), extracted_answer=p.extracted_answer
            )
            for p in result.parts or []
        ],
        cached=result.cached,
        elapsed_ms=result.elapsed_ms,
        detail=result.detail,
        blame=enum_to_proto(result.blame),
        provenance=None
        if provenance is None
        else pb.Provenance(
            service_version=provenance.service_version,
            verifier_versions=provenance.verifier_versions,
            judge_model=provenance.judge_model,
            config_hash=provenance.config_hash,
        ),
    )


def _optional(message: Any, field: str) -> Any:
    return getattr(message, field) if message.HasField(field) else None


def result_from_proto(message: pb.ScoreResult) -> ScoreResult:
    provenance = None
    if message.HasField("provenance"):
        p = message.provenance
        provenance = Provenance(
            service_version=p.service_version,
            verifier_versions=dict(p.verifier_versions),
            judge_model=_optional(p, "judge_model"),
            config_hash=p.config_hash,
        )
    status = enum_from_proto(Status, message.status)
    route = enum_from_proto(Route, message.route)
    if status is None or route is None:
        raise ValueError("result without status or route")
    return ScoreResult(
        id=_optional(message, "id"),
        status=status,
        verdict=enum_from_proto(Verdict, message.verdict),
        reason=Reason(message.reason),
        reward=_optional(message, "reward"),
        route=route,
        route_reason=_optional(message, "route_reason"),
        extracted_answer=_optional(message, "extracted_answer"),
        parts=[
            PartResult(
                index=p.index,
                verdict=enum_from_proto(Verdict, p.verdict),
                extracted_answer=_optional(p, "extracted_answer"),
            )
            for p in message.parts
        ]
        or None,
        cached=message.cached,
        elapsed_ms=message.elapsed_ms,
        detail=_optional(message, "detail"),
        provenance=provenance,
        blame=enum_from_proto(Blame, message.blame),
    )
