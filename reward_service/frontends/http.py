"""HTTP front door (FastAPI): converts JSON ⇄ domain types and delegates to the service.

Endpoints: ``POST /v1/score``, ``POST /v1/score/batch``, ``POST /get_reward`` (OpenRLHF),
``POST /slime/reward`` and ``/slime/reward_details`` (slime), ``GET /healthz``, ``/readyz``,
``/metrics``; OpenAPI docs at ``/docs``. Errors use one shape,
``{"error": {"code": ..., "message": ...}}``, with the status from ``errors.ERRORS``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import from_json
from starlette.exceptions import HTTPException as StarletteHTTPException

from reward_service import __version__
from reward_service.adapters import openrlhf, slime
from reward_service.adapters.common import result_fields
from reward_service.auth import bearer_matches
from reward_service.errors import ErrorCode, ServiceError
from reward_service.jsonl import merge, request_from_json, requests_of
from reward_service.metrics import Metrics
from reward_service.service import RewardService
from reward_service.types import ScoreRequest, ScoreResult

TIMEOUT_HEADER = "X-Request-Timeout"
Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


class BatchRequest(BaseModel):
    """``requests`` items have the fields of ``ScoreRequest``; each is validated on its own,
    so one malformed item gets an ``invalid_request`` result and the rest are scored."""

    requests: list[Any]
    timeout_s: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="server-side deadline, seconds"
    )


def _batch_body_schema() -> dict[str, Any]:
    """The OpenAPI request body of a batch call, which ``_batch_body`` parses by hand: the
    model's schema, with its items documented as ``ScoreRequest``."""
    schema = BatchRequest.model_json_schema()
    schema["properties"]["requests"]["items"] = {"$ref": "#/components/schemas/ScoreRequest"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def _batch_body(request: Request) -> BatchRequest:
    """The body of a batch call, parsed by pydantic's JSON parser straight from the bytes:
    several times faster than the standard library's on batches of many long responses.
    Bytes that are not JSON (or not UTF-8) and a body of the wrong shape are
    ``invalid_request``, as when FastAPI parsed it."""
    raw = await request.body()
    try:
        data = from_json(raw)
    except ValueError:
        # pydantic refuses lone surrogate escapes ("\udfff"), which JSON allows; the
        # standard library reads them (the request scrubs them) and refuses what is not JSON
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"body is not JSON: {error}") from error
    try:
        return BatchRequest.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(
            error.errors(include_url=False, include_input=False)
        ) from error


class BatchResponse(BaseModel):
    results: list[ScoreResult]


class ErrorBody(BaseModel):
    code: ErrorCode
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_response(code: ErrorCode, message: str) -> JSONResponse:
    error = ServiceError(code, message)
    headers = {"Retry-After": "1"} if error.spec.retryable else None
    return JSONResponse(
        {"error": {"code": code.value, "message": message}},
        status_code=error.spec.http_status,
        headers=headers,
    )


class BodyLimit:
    """Refuses bodies over ``limit`` bytes before they are read into memory (413)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = refused = False

        async def counting_receive() -> Any:
            # a body without a length (chunked) is refused as soon as it crosses the limit:
            # 413 and the connection closed, the rest never read
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                if not started and not refused:
                    refused = True
                    await self._refuse(scope, receive, send)
                raise ServiceError(ErrorCode.BODY_TOO_LARGE, self._message())
            return message

        async def guarded_send(message: Any) -> None:
            # once refused, what the app answers to the aborted read is not sent
            nonlocal started
            if refused:
                return
            started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    def _message(self) -> str:
        return f"request body over {self.limit} bytes"

    async def _refuse(self, scope: Scope, receive: Any, send: Any) -> None:
        response = error_response(ErrorCode.BODY_TOO_LARGE, self._message())
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _timeout(header: str | None) -> float | None:
    if header is None:
        return None
    try:
        value = float(header)
    except ValueError as error:
        raise ServiceError(
            ErrorCode.INVALID_REQUEST, f"{TIMEOUT_HEADER} must be seconds"
        ) from error
    if not math.isfinite(value) or value <= 0:  # nan compares false with everything
        raise ServiceError(
            ErrorCode.INVALID_REQUEST, f"{TIMEOUT_HEADER} must be a positive number of seconds"
        )
    return value


def _install_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    """Every refusal in the one error shape, counted by code."""

    @app.exception_handler(ServiceError)
    async def on_service_error(request: Request, error: ServiceError) -> JSONResponse:
        metrics.request_errors.labels("http", error.code.value).inc()
        return error_response(error.code, error.message)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> Response:
        """A body that does not decode (invalid UTF-8, not JSON) gets the one error shape; other
        HTTP errors (404, 405) keep FastAPI's."""
        if error.status_code == 400:
            metrics.request_errors.labels("http", ErrorCode.INVALID_REQUEST.value).inc()
            return error_response(ErrorCode.INVALID_REQUEST, str(error.detail))
        return await http_exception_handler(request, error)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        metrics.request_errors.labels("http", ErrorCode.INVALID_REQUEST.value).inc()
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5]
        )
        return error_response(ErrorCode.INVALID_REQUEST, problems)


def create_app(service: RewardService, *, ready: Callable[[], bool]) -> FastAPI:
    """The HTTP app over ``service``; ``ready`` tells ``/readyz`` whether to take traffic."""
    settings = service.settings
    metrics = service.metrics
    app = FastAPI(
        title="reward-service",
        version=__version__,
        description="Rewards for RL post-training of math-reasoning LLMs.",
        responses={code: {"model": ErrorResponse} for code in (400, 401, 413, 429, 503)},
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    token = settings.auth_token.get_secret_value() if settings.auth_token else None

    exempt = frozenset(settings.auth_exempt_paths)

    async def authorized(request: Request, authorization: str | None = Header(None)) -> None:
        if token is None or request.url.path in exempt:
            return
        if not bearer_matches(authorization, token):
            raise ServiceError(ErrorCode.UNAUTHENTICATED, "missing or wrong bearer token")

    guarded = [Depends(authorized)]

    @app.middleware("http")
    async def observe(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.request_seconds.labels("http", path).observe(time.perf_counter() - started)
        return response

    _install_error_handlers(app, metrics)

    @app.post("/v1/score", response_model=ScoreResult, dependencies=guarded)
    async def score(
        request: ScoreRequest,
        timeout: str | None = Header(None, alias=TIMEOUT_HEADER),
    ) -> ScoreResult:
        """Score one response."""
        return await service.score(request, timeout_s=_timeout(timeout))

    @app.post(
        "/v1/score/batch",
        response_model=BatchResponse,
        dependencies=guarded,
        openapi_extra=_batch_body_schema(),
    )
    async def score_batch(
        request: Request,
        timeout: str | None = Header(None, alias=TIMEOUT_HEADER),
    ) -> BatchResponse:
        """Score a batch; results in request order, one per request."""
        body = await _batch_body(request)
        staged = [request_from_json(item, f"requests[{i}]") for i, item in enumerate(body.requests)]
        results = await _score_staged(service, staged, body.timeout_s or _timeout(timeout))
        return BatchResponse(results=results)

    @app.post("/get_reward", dependencies=guarded)
    async def get_reward(
        body: openrlhf.OpenRLHFRequest,
        timeout: str | None = Header(None, alias=TIMEOUT_HEADER),
    ) -> dict[str, Any]:
        """OpenRLHF's remote reward model protocol (see ``adapters/openrlhf.py``)."""
        try:
            staged = openrlhf.to_requests(
                body.query, body.prompts, body.labels, settings.trainer_template
            )
        except ValueError as error:
            raise ServiceError(ErrorCode.INVALID_REQUEST, str(error)) from error
        results = await _score_staged(service, staged, _timeout(timeout))
        return openrlhf.to_reply(results, settings.trainer_unscorable_reward)

    async def slime_result(body: slime.SlimeRequest, timeout: str | None) -> ScoreResult:
        staged = [
            slime.to_request(
                body.prompt, body.response, body.label, "slime", settings.trainer_template
            )
        ]
        return (await _score_staged(service, staged, _timeout(timeout)))[0]

    @app.post("/slime/reward", dependencies=guarded)
    async def slime_reward(
        body: slime.SlimeRequest,
        timeout: str | None = Header(None, alias=TIMEOUT_HEADER),
    ) -> float:
        """slime's remote reward model protocol: the reward as a bare number."""
        result = await slime_result(body, timeout)
        return result_fields(result, settings.trainer_unscorable_reward)["score"]  # type: ignore[return-value]

    @app.post("/slime/reward_details", dependencies=guarded)
    async def slime_reward_details(
        body: slime.SlimeRequest,
        timeout: str | None = Header(None, alias=TIMEOUT_HEADER),
    ) -> dict[str, float | str]:
        """slime with ``--reward-key score``: the reward plus status, verdict, reason."""
        return result_fields(await slime_result(body, timeout), settings.trainer_unscorable_reward)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Liveness: the process answers and its verifier pool can heal (workers have not kept
        failing to start). Never depends on Redis or the judge."""
        alive = service.verifier.healthy
        return JSONResponse(
            {"status": "ok" if alive else "verifier workers cannot be started"},
            status_code=200 if alive else 503,
        )

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: a verifier worker can score now and the service is not draining."""
        is_ready = ready() and not service.draining and service.verifier.ready
        return JSONResponse(
            {"status": "ready" if is_ready else "not ready"}, status_code=200 if is_ready else 503
        )

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        """Prometheus metrics."""
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    return app


async def _score_staged(
    service: RewardService, staged: list[ScoreRequest | ScoreResult], timeout_s: float | None
) -> list[ScoreResult]:
    """Score the requests among ``staged``; already-decided results keep their places."""
    service.check_batch_size(len(staged))
    return merge(staged, await service.score_batch(requests_of(staged), timeout_s=timeout_s))
