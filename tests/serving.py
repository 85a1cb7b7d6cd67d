"""A real ``reward-service serve`` process on free loopback ports, for the front-door tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-token-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    http_url: str
    grpc_target: str
    log: Path

    @property
    def grpc_url(self) -> str:
        return f"grpc://{self.grpc_target}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@contextmanager
def running_server(tmp: Path, **settings: str) -> Iterator[Server]:
    """Start the server with ``REWARD_SERVICE_<NAME>`` settings; wait until ready."""
    http_port, grpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "REWARD_SERVICE_HOST": "127.0.0.1",
        "REWARD_SERVICE_HTTP_PORT": str(http_port),
        "REWARD_SERVICE_GRPC_PORT": str(grpc_port),
        "REWARD_SERVICE_SYMBOLIC__WORKERS": "2",
        "REWARD_SERVICE_SYMBOLIC__TASK_TIMEOUT_S": "3",
        **{f"REWARD_SERVICE_{k.upper()}": v for k, v in settings.items()},
    }
    log = tmp / f"server-{http_port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "reward_service.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{http_port}", f"127.0.0.1:{grpc_port}", log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{server.http_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
