"""Abuse of the HTTP door through raw sockets on real servers: idle, half-sent and keep-alive
connections are closed at their timeouts (3,500 of them at the default cap), a body left
half-sent is cut at the body timeout, the connection cap makes room for real clients and
answers 503 when every connection is busy, and a chunked body past the body limit is refused
413 as soon as it crosses it."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest

from tests.serving import Server, running_server

LIMIT = 1024 * 1024
HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.5
CAP = 4
GOOD = {"response": "<think>2+2</think>\\boxed{4}", "gold": "4"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(
        tmp_path_factory.mktemp("guarded-http"),
        max_body_bytes=str(LIMIT),
        http_header_timeout_s=str(HEADER_TIMEOUT_S),
        http_keepalive_timeout_s="1",
        http_max_connections="100",
    ) as server:
        yield server


def _connect(server: Server) -> socket.socket:
    url = urlparse(server.http_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (whatever it sent before)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            return False
        except ConnectionError:
            return True
    return False


def _served(server: Server) -> bool:
    reply = httpx.post(server.http_url + "/v1/score", json=GOOD, timeout=5)
    return reply.status_code == 200 and reply.json()["verdict"] == "correct"


def test_idle_and_half_sent_connections_are_closed_and_clients_served(guarded: Server) -> None:
    sockets = [_connect(guarded) for _ in range(300)]  # three times the cap
    opened = time.monotonic()
    try:
        for i, sock in enumerate(sockets):
            if i % 2:  # half a request line, never finished
                sock.sendall(b"POST /v1/sco")
        # the cap made room for a real client: it is served at once, with 300 sockets held
        assert _served(guarded)
        assert time.monotonic() - opened < HEADER_TIMEOUT_S
        assert all(_closed_within(sock, HEADER_TIMEOUT_S + 3) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    assert _served(guarded)


def test_trickled_headers_do_not_reset_the_header_timeout(guarded: Server) -> None:
    sock = _connect(guarded)
    with sock:
        started = time.monotonic()
        for byte in b"POST /v1/score HTTP/1.1\r\nhost: x\r\n":
            sock.sendall(bytes([byte]))
            if _closed_within(sock, 0.1):
                break
        assert _closed_within(sock, HEADER_TIMEOUT_S + 2)
        assert time.monotonic() - started < HEADER_TIMEOUT_S + 2


def test_keep_alive_connections_are_closed_when_idle(guarded: Server) -> None:
    body = json.dumps(GOOD).encode()
    sock = _connect(guarded)
    with sock:
        sock.sendall(
            b"POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        reply = b""
        while b"answer.equivalent" not in reply:
            reply += sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200")
        assert not _closed_within(sock, 0.5)  # kept alive for a next request ...
        assert _closed_within(sock, 2)  # ... until idle for the keep-alive timeout


@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch", "/get_reward"])
def test_a_chunked_body_past_the_limit_is_refused_413_at_once(guarded: Server, path: str) -> None:
    chunk = b"x" * 65536
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    sock = _connect(guarded)
    sent = 0
    with sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            "transfer-encoding: chunked\r\n\r\n".encode()
        )
        reply = b""
        while sent < 300 * 1024 * 1024:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                reply = sock.recv(65536)
                break
            if writable:
                try:
                    sent += sock.send(framed)
                except ConnectionError:
                    break
        while b"body_too_large" not in reply and (more := sock.recv(65536)):
            reply += more
        assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
        assert b'"code":"body_too_large"' in reply
        # refused while crossing, not after reading it all: what was sent past the limit is what
        # loopback's socket buffers held (several MB, more on a loaded machine), not 300 MB
        assert sent < LIMIT + 32 * 1024 * 1024
        assert _closed_within(sock, 5)  # the rest is never read
    assert _served(guarded)


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The default connection cap (4096), short timeouts."""
    with running_server(
        tmp_path_factory.mktemp("crowded-http"),
        http_header_timeout_s=str(HEADER_TIMEOUT_S),
        http_body_timeout_s=str(BODY_TIMEOUT_S),
    ) as server:
        yield server


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(
        tmp_path_factory.mktemp("capped-http"),
        http_max_connections=str(CAP),
        http_body_timeout_s=str(BODY_TIMEOUT_S),
    ) as server:
        yield server


def _half_sent_body(server: Server) -> socket.socket:
    """A connection whose request has its headers and 10 of its 1,000 body bytes: busy."""
    sock = _connect(server)
    sock.sendall(
        b"POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b'content-length: 1000\r\n\r\n{"respons'
    )
    return sock


def test_3500_idle_and_half_sent_connections_at_the_default_cap(crowded: Server) -> None:
    sockets = []
    try:
        for i in range(3500):
            sock = _connect(crowded)
            sockets.append(sock)
            if i % 2:
                sock.sendall(b"GET /heal")
        assert _served(crowded)  # while all 3,500 are held open
        assert all(_closed_within(sock, HEADER_TIMEOUT_S + 5) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    assert _served(crowded)


def test_a_body_left_half_sent_is_cut_at_the_body_timeout(crowded: Server) -> None:
    with _half_sent_body(crowded) as sock:
        started = time.monotonic()
        assert _closed_within(sock, BODY_TIMEOUT_S + 3)
        assert time.monotonic() - started >= BODY_TIMEOUT_S - 0.2  # not before its timeout
    assert _served(crowded)


def test_when_every_connection_is_busy_a_new_one_gets_503(capped: Server) -> None:
    busy = [_half_sent_body(capped) for _ in range(CAP)]
    try:
        time.sleep(0.3)  # their headers are read: every place under the cap is busy
        with _connect(capped) as sock:
            reply = b""
            while (more := sock.recv(65536)) and b"overloaded" not in reply:
                reply += more
            reply += more
        assert reply.startswith(b"HTTP/1.1 503"), reply[:200]
        assert b"retry-after: 1" in reply and b'"code": "overloaded"' in reply
        # the stalled bodies are cut at their timeout, and the door serves again
        assert all(_closed_within(sock, BODY_TIMEOUT_S + 3) for sock in busy)
    finally:
        for sock in busy:
            sock.close()
    assert _served(capped)
