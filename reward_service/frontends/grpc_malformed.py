"""Malformed protobuf on the gRPC door: INVALID_ARGUMENT, not UNKNOWN.

grpc.aio answers a request whose bytes do not parse as its message type with UNKNOWN (the
deserializer's exception escapes the server). :class:`MalformedMessages` intercepts the
``reward.v1`` methods and parses their requests itself: a unary call that does not parse is
refused ``invalid_request`` (INVALID_ARGUMENT); in a stream, iterating the requests raises
:class:`MalformedMessage` at the message that does not parse, for the handler to refuse once it
has answered the messages before it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from reward_service.errors import ErrorCode, ServiceError


class MalformedMessage(Exception):
    """A request message whose bytes do not parse as its type."""


class _Unparsed:
    """What the tolerant deserializer hands on in place of a message that does not parse."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _tolerant(deserialize: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def parse(data: bytes) -> Any:
        try:
            return deserialize(data)
        except DecodeError as error:
            return _Unparsed(str(error))

    return parse


async def _checked(messages: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for message in messages:
        if isinstance(message, _Unparsed):
            raise MalformedMessage(message.problem)
        yield message


def malformed_error(problem: str) -> ServiceError:
    """The refusal of a request that does not parse."""
    return ServiceError(ErrorCode.INVALID_REQUEST, f"malformed protobuf: {problem}")


class MalformedMessages(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Parses the requests of methods under ``prefix`` so bytes that do not parse are refused
    INVALID_ARGUMENT. Unary-unary and stream-stream methods (all ``reward.v1`` has); others
    pass through unchanged. ``refused`` is called with each refusal (for the metrics)."""

    def __init__(self, prefix: str, refused: Callable[[ServiceError], None]) -> None:
        self._prefix = prefix
        self._refused = refused

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or not details.method.startswith(self._prefix):
            return handler
        codec = {
            "request_deserializer": _tolerant(handler.request_deserializer),
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(self._unary(handler.unary_unary), **codec)
        if handler.stream_stream is not None:
            behaviour = handler.stream_stream

            async def streaming(
                requests: AsyncIterator[Any], context: grpc.aio.ServicerContext
            ) -> AsyncIterator[Any]:
                async for response in behaviour(_checked(requests), context):
                    yield response

            return grpc.stream_stream_rpc_method_handler(streaming, **codec)
        return handler

    def _unary(self, behaviour: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, _Unparsed):
                error = malformed_error(request.problem)
                self._refused(error)
                await context.abort(grpc.StatusCode[error.spec.grpc_status], error.message)
            return await behaviour(request, context)

        return unary


__all__ = ["MalformedMessage", "MalformedMessages", "malformed_error"]
