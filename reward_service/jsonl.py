"""JSONL request lines ⇄ domain types, for the offline CLI (and later rescoring)."""

from __future__ import annotations

import json

from pydantic import ValidationError

from reward_service.types import Reason, Route, ScoreRequest, ScoreResult, Status


def parse_request_line(raw: bytes, line_number: int) -> ScoreRequest | ScoreResult:
    """A request, or an ``unscorable/invalid_request`` result saying what is wrong with the line
    (with its 1-based number, and its ``id`` when one can be read)."""
    request_id: str | int | None = None
    try:
        data = json.loads(raw.decode("utf-8"))
        request_id = _id_of(data)
        return ScoreRequest.model_validate(data)
    except UnicodeDecodeError as error:
        detail = f"invalid UTF-8 at byte {error.start}"
        request_id = _id_despite_encoding(raw)
    except json.JSONDecodeError as error:
        detail = f"invalid JSON: {error.msg} at column {error.colno}"
    except RecursionError:
        detail = "invalid JSON: nested too deeply"
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}"
            for e in error.errors()[:5]
        )
        detail = f"invalid request: {problems}"
    return ScoreResult(
        id=request_id,
        status=Status.UNSCORABLE,
        verdict=None,
        reason=Reason.INVALID_REQUEST,
        reward=None,
        route=Route.NONE,
        detail=f"line {line_number}: {detail}",
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
