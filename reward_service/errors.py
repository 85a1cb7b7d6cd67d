"""Error codes and the one table mapping them to HTTP and gRPC statuses.

Errors are for calls the service refuses as a whole (auth, limits, overload, shutdown). A
request it accepts but cannot score is not an error: it gets an ``unscorable`` result.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_REQUEST = "invalid_request"
    BATCH_TOO_LARGE = "batch_too_large"
    BODY_TOO_LARGE = "body_too_large"
    UNAUTHENTICATED = "unauthenticated"
    OVERLOADED = "overloaded"
    SHUTTING_DOWN = "shutting_down"
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    http_status: int
    grpc_status: str
    """Name of a ``grpc.StatusCode`` member (kept as text so the core does not import grpc)."""
    retryable: bool
    """A client may retry the same call later (with backoff)."""


ERRORS: dict[ErrorCode, ErrorSpec] = {
    ErrorCode.INVALID_REQUEST: ErrorSpec(400, "INVALID_ARGUMENT", retryable=False),
    ErrorCode.BATCH_TOO_LARGE: ErrorSpec(413, "INVALID_ARGUMENT", retryable=False),
    ErrorCode.BODY_TOO_LARGE: ErrorSpec(413, "RESOURCE_EXHAUSTED", retryable=False),
    ErrorCode.UNAUTHENTICATED: ErrorSpec(401, "UNAUTHENTICATED", retryable=False),
    ErrorCode.OVERLOADED: ErrorSpec(429, "RESOURCE_EXHAUSTED", retryable=True),
    ErrorCode.SHUTTING_DOWN: ErrorSpec(503, "UNAVAILABLE", retryable=True),
    ErrorCode.INTERNAL: ErrorSpec(500, "INTERNAL", retryable=False),
}


class ServiceError(Exception):
    """A call the service refuses; ``code`` selects the status on each front door."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def spec(self) -> ErrorSpec:
        return ERRORS[self.code]
