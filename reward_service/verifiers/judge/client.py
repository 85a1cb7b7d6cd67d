"""Async client for an OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM in production,
llama.cpp's server in the CPU test), with a concurrency limit, a per-call deadline, retries with
backoff on transient errors only, and a circuit breaker.

Failures are exceptions the judge turns into ``unscorable`` results: :class:`JudgeUnavailable`
(down, refusing, circuit open, answers 4xx) and :class:`JudgeTimeout` (past the deadline), each
with its :class:`ErrorKind`. Every HTTP call, failure and breaker transition is counted in the
judge metrics; breaker transitions and failures (other than calls refused while the circuit is
open) are logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from enum import IntEnum, StrEnum
from typing import Any

import httpx

from reward_service.metrics import JudgeMetrics
from reward_service.verifiers.judge.connections import Connections
from reward_service.verifiers.judge.parsers import Constraint, ConstraintKind
from reward_service.verifiers.judge.spec import Dialect, JudgeSpec

_TRANSIENT_STATUS = {429, 500, 502, 503, 504}
log = logging.getLogger("reward_service.judge")


class ErrorKind(StrEnum):
    """Why a judge call gave no verdict (the ``kind`` label of ``reward_judge_errors``)."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    HTTP_STATUS = "http_status"
    BAD_REPLY = "bad_reply"
    CIRCUIT_OPEN = "circuit_open"
    UNPARSABLE = "unparsable"


class JudgeError(Exception):
    def __init__(self, message: str, kind: ErrorKind) -> None:
        super().__init__(message)
        self.kind = kind


class JudgeUnavailable(JudgeError):
    """The judge server could not give a reply."""


class JudgeTimeout(JudgeError):
    """No reply before the deadline."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ErrorKind.TIMEOUT)


class BreakerState(IntEnum):
    """The value of ``reward_judge_breaker_state``."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    """Opens after ``failures`` consecutive failures; while open, calls fail at once; after
    ``reset_s`` one trial call is let through (half-open) and its outcome decides."""

    def __init__(self, failures: int, reset_s: float, metrics: JudgeMetrics | None = None) -> None:
        self._threshold = failures
        self._reset_s = reset_s
        self._metrics = metrics
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._state = BreakerState.CLOSED

    @property
    def open(self) -> bool:
        return self._opened_at is not None

    def before_call(self) -> None:
        if self._opened_at is None:
            return
        if time.monotonic() - self._opened_at < self._reset_s or self._trial_running:
            raise JudgeUnavailable(
                "circuit open: the judge failed repeatedly", ErrorKind.CIRCUIT_OPEN
            )
        self._trial_running = True
        self._enter(BreakerState.HALF_OPEN)

    def succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False
        if self._state is not BreakerState.CLOSED:
            log.info("judge circuit breaker closed: a trial call succeeded")
        self._enter(BreakerState.CLOSED)

    def failed(self, error: JudgeError) -> None:
        self._failures += 1
        self._trial_running = False
        if self._failures >= self._threshold:
            self._opened_at = time.monotonic()
            if self._state is not BreakerState.OPEN:
                log.warning(
                    "judge circuit breaker opened after %d consecutive failures (last: %s, %s); "
                    "judge calls fail at once for %.0f s",
                    self._failures,
                    error.kind.value,
                    error,
                    self._reset_s,
                )
                if self._metrics is not None:
                    self._metrics.breaker_opened.inc()
            self._enter(BreakerState.OPEN)

    def _enter(self, state: BreakerState) -> None:
        self._state = state
        if self._metrics is not None:
            self._metrics.breaker_state.set(state)


def _constraint_fields(constraint: Constraint, dialect: Dialect) -> dict[str, Any]:
    """The request fields that constrain the output, as each server documents them."""
    if dialect is Dialect.VLLM:
        key = {
            ConstraintKind.JSON_SCHEMA: "json",
            ConstraintKind.CHOICE: "choice",
            ConstraintKind.REGEX: "regex",
        }[constraint.kind]
        return {"structured_outputs": {key: constraint.value}}
    if constraint.kind is ConstraintKind.JSON_SCHEMA:
        return {"response_format": {"type": "json_object", "schema": constraint.value}}
    if constraint.kind is ConstraintKind.CHOICE:
        options = " | ".join('"' + c.replace('"', '\\"') + '"' for c in constraint.value)
        return {"grammar": f"root ::= {options}"}
    raise ValueError("llama.cpp specs support json_schema and choice constraints only")


class JudgeClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None,
        concurrency: int,
        call_timeout_s: float,
        retries: int,
        backoff_s: float,
        breaker: CircuitBreaker,
        metrics: JudgeMetrics | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._concurrency = concurrency
        self._call_timeout_s = call_timeout_s
        self._per_loop: dict[asyncio.AbstractEventLoop, tuple[Connections, asyncio.Semaphore]] = {}
        self._retries = retries
        self._backoff_s = backoff_s
        self.breaker = breaker
        self._metrics = metrics

    async def complete(
        self,
        spec: JudgeSpec,
        messages: list[dict[str, str]],
        constraint: Constraint,
        deadline: float,
        *,
        seed: int | None,
        temperature: float,
    ) -> str:
        """The judge's reply text. Raises :class:`JudgeUnavailable` or :class:`JudgeTimeout`."""
        sampling = spec.sampling
        body: dict[str, Any] = {
            "model": spec.served_model,
            "messages": messages,
            "temperature": temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            **_constraint_fields(constraint, spec.dialect),
        }
        if seed is not None:
            body["seed"] = seed
        connections, slots = self._for_loop()
        async with slots, connections.lease() as http:
            try:
                return await self._with_retries(http, body, deadline)
            except JudgeError as error:
                self.record_error(error)
                raise

    def record_error(self, error: JudgeError) -> None:
        """Count a failure that gave no verdict (and log it, unless the circuit refused it)."""
        if self._metrics is not None:
            self._metrics.errors.labels(error.kind.value).inc()
        if error.kind is not ErrorKind.CIRCUIT_OPEN:
            log.warning("judge call failed (%s): %s", error.kind.value, error)

    async def _with_retries(
        self, http: httpx.AsyncClient, body: dict[str, Any], deadline: float
    ) -> str:
        for attempt in range(self._retries + 1):
            self.breaker.before_call()
            remaining = min(deadline - time.monotonic(), self._call_timeout_s)
            if remaining <= 0:
                raise JudgeTimeout("judge deadline passed")
            try:
                return await self._call(http, body, remaining)
            except JudgeError as error:
                self.breaker.failed(error)
                if not isinstance(error, JudgeUnavailable) or not _transient(error):
                    raise
                if attempt == self._retries:
                    raise
            pause = self._backoff_s * 2**attempt * (0.5 + random.random())
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call(self, http: httpx.AsyncClient, body: dict[str, Any], timeout: float) -> str:
        """One HTTP call, timed and counted; the reply text, or a :class:`JudgeError`."""
        started = time.monotonic()
        try:
            try:
                reply = await http.post("/chat/completions", json=body, timeout=timeout)
            except httpx.TimeoutException as error:
                raise JudgeTimeout("judge did not answer in time") from error
            except httpx.TransportError as error:
                raise JudgeUnavailable(
                    f"judge unreachable: {error!r}", ErrorKind.UNREACHABLE
                ) from error
            if reply.status_code != 200:
                raise _HttpStatus(reply.status_code)
            text = _message_text(reply)
        except JudgeError:
            self._observe("error", started)
            raise
        self._observe("ok", started)
        self.breaker.succeeded()
        return text

    def _observe(self, outcome: str, started: float) -> None:
        if self._metrics is not None:
            self._metrics.calls.labels(outcome).inc()
            self._metrics.call_seconds.observe(time.monotonic() - started)

    def _for_loop(self) -> tuple[Connections, asyncio.Semaphore]:
        """Connections and the concurrency limit belong to the running event loop (a service
        driven from several ``asyncio.run`` calls gets a set per loop)."""
        loop = asyncio.get_running_loop()
        found = self._per_loop.get(loop)
        if found is None:
            for stale in [other for other in self._per_loop if other.is_closed()]:
                del self._per_loop[stale]
            found = self._per_loop[loop] = (
                Connections(self._base_url, self._headers, self._concurrency),
                asyncio.Semaphore(self._concurrency),
            )
        return found

    async def aclose(self) -> None:
        found = self._per_loop.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].aclose()


class _HttpStatus(JudgeUnavailable):
    def __init__(self, status: int) -> None:
        super().__init__(f"judge answered HTTP {status}", ErrorKind.HTTP_STATUS)
        self.status = status


def _transient(error: JudgeUnavailable) -> bool:
    """Worth retrying: the server is unreachable or answered a transient status."""
    if isinstance(error, _HttpStatus):
        return error.status in _TRANSIENT_STATUS
    return error.kind is ErrorKind.UNREACHABLE


def _message_text(reply: httpx.Response) -> str:
    try:
        content = reply.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise JudgeUnavailable(
            "judge reply is not a chat completion", ErrorKind.BAD_REPLY
        ) from error
    if not isinstance(content, str):
        raise JudgeUnavailable("judge reply has no text content", ErrorKind.BAD_REPLY)
    return content
