"""gRPC front door (``grpc.aio``): converts protobuf ⇄ domain types and delegates to the service.

Serves ``reward.v1.RewardService`` plus the standard health service (the service name reports
SERVING when ready) and reflection. An auth interceptor guards ``reward.v1`` methods when a
token is configured; health and reflection stay open.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from reward_service.auth import bearer_matches
from reward_service.drain import Drain
from reward_service.errors import ErrorCode, ServiceError
from reward_service.frontends.grpc_convert import request_from_proto, result_to_proto
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2 as pb
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2_grpc
from reward_service.frontends.grpc_malformed import (
    MalformedMessage,
    MalformedMessages,
    malformed_error,
)
from reward_service.jsonl import merge, requests_of
from reward_service.service import RewardService, Scorer
from reward_service.types import ScoreResult

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["RewardService"].full_name
_GUARDED_PREFIX = f"/{SERVICE_NAME}/"


def _timeout(context: grpc.aio.ServicerContext) -> float | None:
    """The server-side budget: the client's deadline less a margin, so the results (timeouts
    included) reach the client before its deadline fires."""
    remaining = context.time_remaining()
    if remaining is None:
        return None
    budget = float(remaining)
    return max(0.001, budget - min(0.25, budget * 0.1))


class RewardServicer(reward_pb2_grpc.RewardServiceServicer):  # type: ignore[misc]
    """reward.v1.RewardService over a :class:`RewardService`."""

    def __init__(self, service: RewardService) -> None:
        self._service = service
        self._metrics = service.metrics

    async def _score(
        self,
        messages: list[pb.ScoreRequest],
        context: grpc.aio.ServicerContext,
        method: str,
        score: Scorer | None = None,
    ) -> list[ScoreResult]:
        """``score``: the scorer of an open stream; None: the service's ``score_batch``."""
        started = time.perf_counter()
        staged = [request_from_proto(m, f"requests[{i}]") for i, m in enumerate(messages)]
        try:
            self._service.check_batch_size(len(staged))
            if score is None:
                scored = await self._service.score_batch(
                    requests_of(staged), timeout_s=_timeout(context)
                )
            else:
                scored = await score(requests_of(staged), _timeout(context))
        except ServiceError as error:
            await self._abort(context, error)
            raise  # abort raises; this line only satisfies the type checker
        finally:
            self._metrics.request_seconds.labels("grpc", method).observe(
                time.perf_counter() - started
            )
        return merge(staged, scored)

    async def Score(
        self, request: pb.ScoreRequest, context: grpc.aio.ServicerContext
    ) -> pb.ScoreResult:
        return result_to_proto((await self._score([request], context, "Score"))[0])

    async def ScoreBatch(
        self, request: pb.ScoreBatchRequest, context: grpc.aio.ServicerContext
    ) -> pb.ScoreBatchResponse:
        results = await self._score(list(request.requests), context, "ScoreBatch")
        return pb.ScoreBatchResponse(results=[result_to_proto(r) for r in results])

    async def ScoreStream(
        self,
        request_iterator: AsyncIterator[pb.ScoreRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[pb.ScoreResult]:
        """Scores what has arrived as one batch (up to ``max_batch_size``), streams its
        results, repeats; reading stops while a full queue waits (backpressure).

        A stream opened before SIGTERM goes on while the server drains. At the drain timeout
        the messages already read are answered (undecided ones ``unscorable/shutdown``); if
        the client had not finished sending, the stream then ends UNAVAILABLE."""
        try:
            with self._service.stream() as score:
                async for result in self._stream(request_iterator, context, score):
                    yield result
        except ServiceError as error:  # opened while draining
            await self._abort(context, error)

    async def _stream(
        self,
        request_iterator: AsyncIterator[pb.ScoreRequest],
        context: grpc.aio.ServicerContext,
        score: Scorer,
    ) -> AsyncIterator[pb.ScoreResult]:
        drain = self._service.drain
        limit = self._service.settings.max_batch_size
        queue: asyncio.Queue[pb.ScoreRequest | None] = asyncio.Queue(maxsize=limit)
        refusal: ServiceError | None = None

        async def read() -> None:
            nonlocal refusal
            try:
                async for message in request_iterator:
                    if drain.cut:  # arrived after the drain timeout: not read
                        refusal = ServiceError(
                            ErrorCode.SHUTTING_DOWN,
                            "the server shut down: later messages of this stream were not read",
                        )
                        return
                    await queue.put(message)
            except MalformedMessage as error:  # the messages before it are answered
                refusal = malformed_error(str(error))
            finally:
                await queue.put(None)

        reader = asyncio.create_task(read())
        try:
            while batch := await _next_batch(queue, limit, drain):
                for result in await self._score(batch, context, "ScoreStream", score):
                    yield result_to_proto(result)
            if drain.cut and not reader.done():  # the client was idle, with more to send
                reader.cancel()
                refusal = ServiceError(
                    ErrorCode.SHUTTING_DOWN,
                    "the server shut down: later messages of this stream were not read",
                )
            if refusal is not None:
                await self._abort(context, refusal)
        finally:
            reader.cancel()

    async def _abort(self, context: grpc.aio.ServicerContext, error: ServiceError) -> None:
        self._metrics.request_errors.labels("grpc", error.code.value).inc()
        await context.abort(grpc.StatusCode[error.spec.grpc_status], error.message)


async def _next_batch(
    queue: asyncio.Queue[pb.ScoreRequest | None], limit: int, drain: Drain
) -> list[pb.ScoreRequest]:
    """The messages read and not yet scored (at least one, at most ``limit``), once there are
    any; empty when the stream ended, or the drain was cut with nothing left to answer."""
    if queue.empty():
        getter = asyncio.ensure_future(queue.get())
        cut = asyncio.ensure_future(drain.wait_cut())
        await asyncio.wait((getter, cut), return_when=asyncio.FIRST_COMPLETED)
        cut.cancel()
        if not getter.done():
            getter.cancel()
            return []
        first = getter.result()
    else:
        first = queue.get_nowait()
    batch: list[pb.ScoreRequest] = []
    while first is not None:
        batch.append(first)
        if len(batch) == limit or queue.empty():
            break
        first = queue.get_nowait()
    else:
        queue.put_nowait(None)  # seen again by the next call: the stream ended
    return batch


def _deny(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same shape as ``handler`` that refuses with UNAUTHENTICATED."""
    message = "missing or wrong bearer token"

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    async def streaming(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield  # pragma: no cover - makes this an async generator

    codec = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(streaming, **codec)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(streaming, **codec)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(unary, **codec)
    return grpc.unary_unary_rpc_method_handler(unary, **codec)


class BearerAuth(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Requires ``authorization: Bearer <token>`` metadata on reward.v1 methods."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or not details.method.startswith(_GUARDED_PREFIX):
            return handler
        sent = dict(details.invocation_metadata or ()).get("authorization", "")
        if bearer_matches(str(sent), self._token):
            return handler
        return _deny(handler)


class GrpcDoor:
    """The gRPC server with the reward, health and reflection services."""

    def __init__(self, service: RewardService) -> None:
        settings = service.settings
        token = settings.auth_token.get_secret_value() if settings.auth_token else None
        metrics = service.metrics
        malformed = MalformedMessages(
            _GUARDED_PREFIX,
            lambda error: metrics.request_errors.labels("grpc", error.code.value).inc(),
        )
        self.server = grpc.aio.server(
            interceptors=[*([BearerAuth(token)] if token else []), malformed],
            options=[
                ("grpc.max_receive_message_length", settings.max_body_bytes),
                ("grpc.max_send_message_length", -1),
                # grpc's default SO_REUSEPORT lets a second server bind a port a stale one
                # still holds, and the kernel then splits calls between the two
                ("grpc.so_reuseport", 0),
            ],
        )
        reward_pb2_grpc.add_RewardServiceServicer_to_server(RewardServicer(service), self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server
        )
        self.port = self.server.add_insecure_port(f"{settings.host}:{settings.grpc_port}")

    async def start(self) -> None:
        await self.server.start()
        await self.set_serving(False)

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        await self.health.set(SERVICE_NAME, status)
        await self.health.set("", status)

    async def stop(self, grace_s: float) -> None:
        """Stop taking calls; calls in progress get ``grace_s`` seconds to finish."""
        await self.server.stop(grace_s)


__all__ = ["SERVICE_NAME", "GrpcDoor", "RewardServicer"]
