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
from reward_service.errors import ServiceError
from reward_service.frontends.grpc_convert import request_from_proto, result_to_proto
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2 as pb
from reward_service.frontends.grpc_gen.reward.v1 import reward_pb2_grpc
from reward_service.jsonl import merge, requests_of
from reward_service.service import RewardService
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
        self, messages: list[pb.ScoreRequest], context: grpc.aio.ServicerContext, method: str
    ) -> list[ScoreResult]:
        started = time.perf_counter()
        staged = [request_from_proto(m, f"requests[{i}]") for i, m in enumerate(messages)]
        try:
            self._service.check_batch_size(len(staged))
            scored = await self._service.score_batch(
                requests_of(staged), timeout_s=_timeout(context)
            )
        except ServiceError as error:
            self._metrics.request_errors.labels("grpc", error.code.value).inc()
            await context.abort(grpc.StatusCode[error.spec.grpc_status], error.message)
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
        results, repeats; reading stops while a full queue waits (backpressure)."""
        limit = self._service.settings.max_batch_size
        queue: asyncio.Queue[pb.ScoreRequest | None] = asyncio.Queue(maxsize=limit)

        async def read() -> None:
            try:
                async for message in request_iterator:
                    await queue.put(message)
            finally:
                await queue.put(None)

        reader = asyncio.create_task(read())
        try:
            finished = False
            while not finished:
                first = await queue.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < limit and not queue.empty():
                    message = queue.get_nowait()
                    if message is None:
                        finished = True
                        break
                    batch.append(message)
                for result in await self._score(batch, context, "ScoreStream"):
                    yield result_to_proto(result)
        finally:
            reader.cancel()


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
        self.server = grpc.aio.server(
            interceptors=[BearerAuth(token)] if token else [],
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
