"""JSON requests ⇄ domain types: JSONL lines of the offline CLI, items of HTTP batches.

Both go through :func:`request_from_json`, so a malformed request gets the same
``unscorable/invalid_request`` result (naming where it was) on every front door.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import ValidationError

from reward_service.blame import blame_for
from reward_service.types import Reason, Route, ScoreRequest, ScoreResult, Status


def parse_request_line(raw: bytes, line_number: int) -> ScoreRequest | ScoreResult:
    """A request, or an ``unscorable/invalid_request`` result saying what is wrong with the line
    (with its 1-based number, and its ``id`` when one can be read)."""
    where = f"line {line_number}"
    if not raw.strip():
        return invalid_request(where, "blank line: every line must hold one JSON request")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        return invalid_request(
            where, f"invalid UTF-8 at byte {error.start}", _id_despite_encoding(raw)
        )
    except json.JSONDecodeError as error:
        return invalid_request(where, f"invalid JSON: {error.msg} at column {error.colno}")
    except RecursionError:
        return invalid_request(where, "invalid JSON: nested too deeply")
    return request_from_json(data, where)


def request_from_json(data: object, where: str) -> ScoreRequest | ScoreResult:
    """Validate one decoded JSON request; ``where`` names it in the error detail."""
    try:
        return ScoreRequest.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}"
            for e in error.errors()[:5]
        )
        return invalid_request(where, f"invalid request: {problems}", _id_of(data))


def requests_of(staged: Sequence[ScoreRequest | ScoreResult]) -> list[ScoreRequest]:
    """The requests among parsed items (the rest are already ``invalid_request`` results)."""
    return [s for s in staged if isinstance(s, ScoreRequest)]


def merge(
    staged: Sequence[ScoreRequest | ScoreResult], scored: Sequence[ScoreResult]
) -> list[ScoreResult]:
    """One result per parsed item, in order: ``scored`` holds the results of
    ``requests_of(staged)``, in that order."""
    results = iter(scored)
    merged = [s if isinstance(s, ScoreResult) else next(results) for s in staged]
    if next(results, None) is not None:
        raise ValueError("more results than requests")
    return merged


def invalid_request(where: str, detail: str, request_id: str | int | None = None) -> ScoreResult:
    """The ``unscorable/invalid_request`` result for a request that could not be read."""
    return unreadable(Reason.INVALID_REQUEST, where, detail, request_id)


def unreadable(
    reason: Reason, where: str, detail: str, request_id: str | int | None = None
) -> ScoreResult:
    """The unscorable result, with its blame, for an input that could not be read (a
    malformed request, a gold nobody can read); ``where`` names it in the detail."""
    return ScoreResult(
        id=request_id,
        status=Status.UNSCORABLE,
        verdict=None,
        reason=reason,
        reward=None,
        route=Route.NONE,
        detail=f"{where}: {detail}",
        blame=blame_for(Status.UNSCORABLE, reason),
    )


def _id_of(data: object) -> str | int | None:
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str | int) and not isinstance(found, bool) else None


def _id_despite_encoding(raw: bytes) -> str | int | None:
    """The line's ``id`` when only the encoding is broken, so the caller can match the error."""
    try:
        return _id_of(json.loads(raw.decode("utf-8", errors="replace")))
    except (ValueError, RecursionError):
        return None


def result_line(result: ScoreResult) -> bytes:
    """One JSONL output line (with its newline)."""
    return result.model_dump_json().encode() + b"\n"
