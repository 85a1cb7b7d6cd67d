"""Python client for a running reward-service, over HTTP or gRPC, async and sync.

    from reward_service.client import RewardClient
    with RewardClient("grpc://reward:50051", token="...") as client:
        results = client.score_batch(requests)      # list[ScoreResult], same order

The URL scheme picks the transport (``http://``, ``https://``, ``grpc://``). Long lists are sent
in chunks of ``batch_size``. Transient failures (connection errors, ``overloaded``,
``shutting_down``, 502/503/504, gRPC UNAVAILABLE/RESOURCE_EXHAUSTED) are retried with
exponential backoff; anything else raises :class:`ClientError` at once. ``timeout_s`` is the
deadline of a whole call, sent to the server so its work stops there too. Concurrent small
calls on one client (per-sample trainers) are gathered into batch calls
(:mod:`reward_service.client_gather`; ``gather=False`` sends each on its own).
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import urlsplit

import grpc
import httpx
from pydantic import BaseModel, TypeAdapter

from reward_service.client_gather import CallGatherer
from reward_service.errors import ERRORS, ErrorCode
from reward_service.frontends import grpc_convert
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2, reward_pb2_grpc
from reward_service.types import ScoreRequest, ScoreResult

T = TypeVar("T")
TIMEOUT_HEADER = "X-Request-Timeout"
_RETRYABLE_HTTP = {429, 502, 503, 504}
_RETRYABLE_GRPC = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED}


class ClientError(Exception):
    """A call that failed; ``retryable`` says whether trying again later may succeed."""

    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable


class _Transport(Protocol):
    async def score_batch(
        self, requests: Sequence[ScoreRequest], timeout_s: float
    ) -> list[ScoreResult]: ...

    async def aclose(self) -> None: ...


_REQUESTS = TypeAdapter(list[ScoreRequest])


class _BatchReply(BaseModel):
    results: list[ScoreResult]


class _HttpTransport:
    def __init__(self, url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(base_url=url, headers=headers, timeout=None)

    async def score_batch(
        self, requests: Sequence[ScoreRequest], timeout_s: float
    ) -> list[ScoreResult]:
        # pydantic's JSON both ways (Rust): on bench/grpo.py's 4096-request, 84 MB batch a dict
        # per request and json.dumps cost 1.9 s of client CPU, this 0.7 s (warm call 2.4 -> 1.5 s)
        body = b'{"requests":' + _REQUESTS.dump_json(list(requests)) + b"}"
        try:
            reply = await self._client.post(
                "/v1/score/batch",
                content=body,
                headers={TIMEOUT_HEADER: f"{timeout_s:.3f}", "content-type": "application/json"},
                timeout=timeout_s + 5,
            )
        except httpx.TransportError as error:
            raise ClientError(
                "unavailable", str(error) or type(error).__name__, retryable=True
            ) from error
        if reply.status_code != 200:
            raise _http_error(reply)
        return _BatchReply.model_validate_json(reply.content).results

    async def aclose(self) -> None:
        await self._client.aclose()


def _http_error(reply: httpx.Response) -> ClientError:
    try:
        error = reply.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = f"http_{reply.status_code}", reply.text[:200]
    spec = ERRORS.get(ErrorCode(code)) if code in ErrorCode.__members__.values() else None
    retryable = spec.retryable if spec else reply.status_code in _RETRYABLE_HTTP
    return ClientError(code, message, retryable=retryable)


class _GrpcTransport:
    def __init__(self, url: str, token: str | None) -> None:
        target = urlsplit(url).netloc
        self._channel = grpc.aio.insecure_channel(
            target,
            options=[
                ("grpc.max_receive_message_length", -1),
                ("grpc.max_send_message_length", -1),
            ],
        )
        self._stub = reward_pb2_grpc.RewardServiceStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()

    async def score_batch(
        self, requests: Sequence[ScoreRequest], timeout_s: float
    ) -> list[ScoreResult]:
        message = reward_pb2.ScoreBatchRequest(
            requests=[grpc_convert.request_to_proto(r) for r in requests]
        )
        try:
            reply = await self._stub.ScoreBatch(message, timeout=timeout_s, metadata=self._metadata)
        except grpc.aio.AioRpcError as error:
            raise ClientError(
                error.code().name.lower(),
                error.details() or "",
                retryable=error.code() in _RETRYABLE_GRPC,
            ) from error
        return [grpc_convert.result_from_proto(r) for r in reply.results]

    async def aclose(self) -> None:
        await self._channel.close()


TRANSPORTS: dict[str, Callable[[str, str | None], _Transport]] = {
    "http": _HttpTransport,
    "https": _HttpTransport,
    "grpc": _GrpcTransport,
}


class AsyncRewardClient:
    """Async client; one per event loop. Use as ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout_s: float = 300.0,
        batch_size: int = 1024,
        retries: int = 4,
        backoff_s: float = 0.5,
        max_concurrency: int = 256,
        gather: bool = True,
    ) -> None:
        """``max_concurrency``: chunks in flight at once from this client; it must be well
        above a per-sample trainer's concurrency or calls queue here while their deadlines
        run; the server refuses what it cannot take (``overloaded``, retried). ``gather``:
        calls smaller than ``batch_size`` made concurrently on this client's loop are sent
        together as batch calls, each keeping its own results, errors and deadline."""
        scheme = urlsplit(url).scheme
        if scheme not in TRANSPORTS:
            raise ValueError(f"unsupported URL scheme {scheme!r}; use one of {sorted(TRANSPORTS)}")
        self._transport = TRANSPORTS[scheme](url, token)
        self.timeout_s = timeout_s
        self.batch_size = batch_size
        self.retries = retries
        self.backoff_s = backoff_s
        self._concurrency = asyncio.Semaphore(max_concurrency)
        self._gatherer = CallGatherer(self._send, batch_size) if gather else None

    async def score(self, request: ScoreRequest, *, timeout_s: float | None = None) -> ScoreResult:
        return (await self.score_batch([request], timeout_s=timeout_s))[0]

    async def score_batch(
        self, requests: Sequence[ScoreRequest], *, timeout_s: float | None = None
    ) -> list[ScoreResult]:
        """One result per request, in order. Raises :class:`ClientError` when the service
        refuses the call or stays unreachable past the retries or the deadline."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        if self._gatherer is not None and len(requests) < self.batch_size:
            try:
                return await self._gatherer.call(requests, deadline)
            except TimeoutError:
                raise ClientError(
                    "deadline_exceeded", "client deadline passed", retryable=False
                ) from None
        chunks = [
            requests[i : i + self.batch_size] for i in range(0, len(requests), self.batch_size)
        ]
        replies = await asyncio.gather(*(self._send(chunk, deadline) for chunk in chunks))
        return [result for reply in replies for result in reply]

    async def _send(self, chunk: Sequence[ScoreRequest], deadline: float) -> list[ScoreResult]:
        async with self._concurrency:
            for attempt in range(self.retries + 1):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ClientError(
                        "deadline_exceeded", "client deadline passed", retryable=False
                    )
                try:
                    return await self._transport.score_batch(chunk, remaining)
                except ClientError as error:
                    if not error.retryable or attempt == self.retries:
                        raise
                pause = self.backoff_s * 2**attempt * (0.5 + random.random())
                await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        if self._gatherer is not None:
            await self._gatherer.aclose()
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class RewardClient:
    """Blocking client: runs an :class:`AsyncRewardClient` on a private event loop thread, so
    it works from plain code and from inside another running event loop alike."""

    def __init__(self, url: str, **options: Any) -> None:
        self._url, self._options = url, options
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="reward-client"
        )
        self._thread.start()
        self._client: AsyncRewardClient = self._submit(self._make(self._url, self._options))

    @staticmethod
    async def _make(url: str, options: dict[str, Any]) -> AsyncRewardClient:
        return AsyncRewardClient(url, **options)

    def _submit(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _call(self, call: Callable[[AsyncRewardClient], Coroutine[Any, Any, T]]) -> T:
        if os.getpid() != self._pid:
            # a fork() copied this client without its loop thread (threads do not survive a
            # fork) and with the parent's sockets: waiting on it would hang forever, so the
            # child starts its own (verl's prime manager forks worker processes). What the
            # child inherited belongs to the parent's threads (gRPC's, the old loop's): the
            # collector must never finalise it here, where that segfaults, so it is frozen
            gc.freeze()
            self._start()
        return self._submit(call(self._client))

    def score(self, request: ScoreRequest, *, timeout_s: float | None = None) -> ScoreResult:
        return self._call(lambda client: client.score(request, timeout_s=timeout_s))

    def score_batch(
        self, requests: Sequence[ScoreRequest], *, timeout_s: float | None = None
    ) -> list[ScoreResult]:
        return self._call(lambda client: client.score_batch(requests, timeout_s=timeout_s))

    def close(self) -> None:
        if os.getpid() == self._pid and self._loop.is_running():
            self._submit(self._client.aclose())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["AsyncRewardClient", "ClientError", "RewardClient"]
