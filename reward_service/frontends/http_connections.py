"""Connection limits of the HTTP door, which uvicorn does not have on its own.

uvicorn closes a connection idle after a response (``timeout_keep_alive``) but never one
that was opened and sent nothing, or only part of its headers, and its ``limit_concurrency``
counts such connections too: a few thousand idle sockets make it answer 503 to every real
client. :func:`guarded_protocol` wraps uvicorn's HTTP protocol so that

- a connection has ``header_timeout_s`` from its opening, or from its last response, to send
  a request's complete headers, or it is closed (slow or half-sent requests included:
  trickling bytes does not reset the clock);
- a request whose headers came has ``body_timeout_s`` to send its whole body, or the
  connection is closed (a body trickled or left half-sent would hold its connection, and a
  place under the cap, for ever);
- at most ``max_connections`` are open: past it the oldest connection with no request in
  progress is closed to make room, and when every one is busy the new connection gets 503 and
  is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

_BUSY_BODY = b'{"error": {"code": "overloaded", "message": "too many connections"}}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"connection: close\r\nretry-after: 1\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


def guarded_protocol(
    header_timeout_s: float,
    max_connections: int,
    body_timeout_s: float,
    base: type[asyncio.Protocol] = AutoHTTPProtocol,
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (``base``) with header and body timeouts and a connection cap;
    pass it as ``uvicorn.Config(http=...)``. Each call makes a protocol with its own count."""
    open_now: dict[Any, None] = {}  # insertion order: the oldest first

    class Guarded(base):  # type: ignore[valid-type,misc]
        _timer: asyncio.TimerHandle | None = None
        _timed_cycle: Any = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            open_now[self] = None
            if len(open_now) > max_connections and not self._make_room():
                self.transport.write(_BUSY)
                self.transport.close()
                return
            self._arm(header_timeout_s, self._headers_late)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is None:
                return
            if self.cycle is not self._timed_cycle:
                # a new request's headers are complete: now its body is timed, not its response
                self._timed_cycle = self.cycle
                self._disarm()
                if self.cycle.more_body:
                    self._arm(body_timeout_s, self._body_late)
            elif not self.cycle.more_body:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm(header_timeout_s, self._headers_late)

        def connection_lost(self, exc: Exception | None) -> None:
            open_now.pop(self, None)
            self._disarm()
            super().connection_lost(exc)

        def _idle(self) -> bool:
            """No request in progress: none yet, or the last one answered."""
            return self.cycle is None or bool(self.cycle.response_complete)

        def _arm(self, seconds: float, late: Any) -> None:
            self._disarm()
            self._timer = self.loop.call_later(seconds, late)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _headers_late(self) -> None:
            self._timer = None
            if self._idle() and not self.transport.is_closing():
                self.transport.close()

        def _body_late(self) -> None:
            self._timer = None
            if self.cycle is not None and self.cycle.more_body and not self.transport.is_closing():
                self.transport.close()  # the app reading the body sees the client disconnect

        def _make_room(self) -> bool:
            """Close the oldest idle connection but this one; False if all are busy."""
            for other in open_now:
                if other is not self and other._idle() and not other.transport.is_closing():
                    open_now.pop(other)
                    other.transport.close()
                    return True
            return False

    return Guarded
