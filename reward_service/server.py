"""``reward-service serve``: one process, one event loop, both front doors over one service.

Start-up: the gRPC server starts (health NOT_SERVING), uvicorn starts, the verifier workers are
warmed up, then ``/readyz`` and gRPC health report ready. On SIGTERM or SIGINT: readiness drops,
new calls get ``shutting_down``, both doors stop accepting new connections, calls in flight
(and streams already open) get ``drain_timeout_s`` to finish. Past it, every call still
waiting is answered with what was decided, the rest ``unscorable/shutdown`` (``drain.py``),
the doors get ``ANSWER_GRACE_S`` to send those answers, then the workers stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
from collections.abc import Iterator

import uvicorn

from reward_service.frontends.grpc import GrpcDoor
from reward_service.frontends.http import create_app
from reward_service.frontends.http_connections import guarded_protocol
from reward_service.service import RewardService
from reward_service.settings import Settings

log = logging.getLogger(__name__)


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: :func:`serve` owns the signals, so gRPC and
    HTTP drain together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


_READINESS_POLL_S = 0.25
ANSWER_GRACE_S = 5.0
"""After the drain timeout: time for the answers of the calls cut short to reach their clients
before the doors close what is left."""


async def _mirror_readiness(service: RewardService, grpc_door: GrpcDoor) -> None:
    """Keep gRPC health in step with the verifier pool: NOT_SERVING while no worker can
    score (they were killed and are being replaced), SERVING again once one can."""
    serving = True
    while True:
        await asyncio.sleep(_READINESS_POLL_S)
        now = service.verifier.ready and not service.draining
        if now != serving:
            serving = now
            await grpc_door.set_serving(now)


async def _drain(
    service: RewardService, grpc_door: GrpcDoor, http: uvicorn.Server, http_task: asyncio.Task[None]
) -> None:
    """Refuse new calls, let those in flight finish for up to ``drain_timeout_s``, then cut
    them short (each answered with what was decided) and wait for the doors to close."""
    drain_s = service.settings.drain_timeout_s
    log.info("draining (up to %.0fs)", drain_s)
    service.begin_drain()
    await grpc_door.set_serving(False)
    http.should_exit = True
    grpc_stopped = asyncio.create_task(grpc_door.stop(drain_s + ANSWER_GRACE_S))
    if not await service.wait_idle(drain_s):
        log.warning(
            "drain timeout (%.0fs) passed with %d responses in flight: answering them now, "
            "undecided ones unscorable/shutdown",
            drain_s,
            service.in_flight,
        )
        service.cut_off()
        await service.wait_idle(ANSWER_GRACE_S)
    await asyncio.gather(http_task, grpc_stopped)


async def serve(settings: Settings) -> None:
    """Run both doors until SIGTERM/SIGINT, then drain and return."""
    service = RewardService(settings)
    ready = False
    grpc_door = GrpcDoor(service)
    http = _Uvicorn(
        uvicorn.Config(
            create_app(service, ready=lambda: ready),
            host=settings.host,
            port=settings.http_port,
            # uvicorn cancels the requests still running past it, which would answer 500:
            # the service answers them itself at the drain timeout (``_drain``)
            timeout_graceful_shutdown=math.ceil(settings.drain_timeout_s + ANSWER_GRACE_S),
            http=guarded_protocol(
                settings.http_header_timeout_s,
                settings.http_max_connections,
                settings.http_body_timeout_s,
            ),
            timeout_keep_alive=settings.http_keepalive_timeout_s,
            log_level=settings.log_level.lower(),
            log_config=None,  # the process's logging (configure_logging) serves uvicorn too
            access_log=False,
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await grpc_door.start()
        http_task = asyncio.create_task(http.serve())
        await service.warm_up()
        ready = True
        await grpc_door.set_serving(True)
        log.info(
            "serving HTTP on %s:%d and gRPC on %s:%d",
            settings.host,
            settings.http_port,
            settings.host,
            grpc_door.port,
        )
        stopped = asyncio.create_task(stop.wait())
        mirror = asyncio.create_task(_mirror_readiness(service, grpc_door))
        await asyncio.wait({stopped, http_task}, return_when=asyncio.FIRST_COMPLETED)
        mirror.cancel()
        await _drain(service, grpc_door, http, http_task)
        stopped.cancel()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await service.aclose()
    log.info("stopped")
