"""Async client for an OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM in production,
llama.cpp's server in the CPU test), with a concurrency limit, a per-call deadline, retries with
backoff on transient errors only, and a circuit breaker.

Failures are exceptions the judge turns into ``unscorable`` results: :class:`JudgeUnavailable`
(down, refusing, circuit open, answers 4xx) and :class:`JudgeTimeout` (past the deadline).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx

from reward_service.verifiers.judge.parsers import Constraint, ConstraintKind
from reward_service.verifiers.judge.spec import Dialect, JudgeSpec

_TRANSIENT_STATUS = {429, 500, 502, 503, 504}


class JudgeUnavailable(Exception):
    """The judge server could not give a reply."""


class JudgeTimeout(Exception):
    """No reply before the deadline."""


class CircuitBreaker:
    """Opens after ``failures`` consecutive failures; while open, calls fail at once; after
    ``reset_s`` one trial call is let through (half-open) and its outcome decides."""

    def __init__(self, failures: int, reset_s: float) -> None:
        self._threshold = failures
        self._reset_s = reset_s
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def open(self) -> bool:
        return self._opened_at is not None

    def before_call(self) -> None:
        if self._opened_at is None:
            return
        if time.monotonic() - self._opened_at < self._reset_s or self._trial_running:
            raise JudgeUnavailable("circuit open: the judge failed repeatedly")
        self._trial_running = True

    def succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def failed(self) -> None:
        self._failures += 1
        self._trial_running = False
        if self._failures >= self._threshold:
            self._opened_at = time.monotonic()


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
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._concurrency = concurrency
        self._call_timeout_s = call_timeout_s
        self._per_loop: dict[
            asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, asyncio.Semaphore]
        ] = {}
        self._retries = retries
        self._backoff_s = backoff_s
        self.breaker = breaker

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
        http, slots = self._for_loop()
        async with slots:
            for attempt in range(self._retries + 1):
                self.breaker.before_call()
                remaining = min(deadline - time.monotonic(), self._call_timeout_s)
                if remaining <= 0:
                    raise JudgeTimeout("judge deadline passed")
                try:
                    reply = await http.post("/chat/completions", json=body, timeout=remaining)
                except httpx.TimeoutException as error:
                    self.breaker.failed()
                    raise JudgeTimeout("judge did not answer in time") from error
                except httpx.TransportError as error:
                    self.breaker.failed()
                    failure: Exception = JudgeUnavailable(f"judge unreachable: {error!r}")
                else:
                    if reply.status_code == 200:
                        try:
                            text = _message_text(reply)
                        except JudgeUnavailable:
                            self.breaker.failed()
                            raise
                        self.breaker.succeeded()
                        return text
                    self.breaker.failed()
                    failure = JudgeUnavailable(f"judge answered HTTP {reply.status_code}")
                    if reply.status_code not in _TRANSIENT_STATUS:
                        raise failure
                if attempt == self._retries:
                    raise failure
                pause = self._backoff_s * 2**attempt * (0.5 + random.random())
                await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        raise AssertionError("unreachable")  # pragma: no cover

    def _for_loop(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        """Connections and the concurrency limit belong to the running event loop (a service
        driven from several ``asyncio.run`` calls gets a set per loop)."""
        loop = asyncio.get_running_loop()
        found = self._per_loop.get(loop)
        if found is None:
            for stale in [other for other in self._per_loop if other.is_closed()]:
                del self._per_loop[stale]
            found = self._per_loop[loop] = (
                httpx.AsyncClient(base_url=self._base_url, headers=self._headers, timeout=None),
                asyncio.Semaphore(self._concurrency),
            )
        return found

    async def aclose(self) -> None:
        found = self._per_loop.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].aclose()


def _message_text(reply: httpx.Response) -> str:
    try:
        content = reply.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise JudgeUnavailable("judge reply is not a chat completion") from error
    if not isinstance(content, str):
        raise JudgeUnavailable("judge reply has no text content")
    return content
