"""``reward-service serve``: one process, one event loop, both front doors over one service.

Start-up: the gRPC server starts (health NOT_SERVING), uvicorn starts, the verifier workers are
warmed up, then ``/readyz`` and gRPC health report ready. On SIGTERM or SIGINT: readiness drops,
new calls get ``shutting_down``, both doors stop accepting, calls in flight get
``drain_timeout_s`` to finish, then the workers stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn

from reward_service.frontends.grpc import GrpcDoor
from reward_service.frontends.http import create_app
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
            timeout_graceful_shutdown=int(settings.drain_timeout_s) or None,
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
        log.info("draining (up to %.0fs)", settings.drain_timeout_s)
        service.begin_drain()
        await grpc_door.set_serving(False)
        http.should_exit = True
        await asyncio.gather(
            http_task,
            grpc_door.stop(settings.drain_timeout_s),
            service.wait_idle(settings.drain_timeout_s),
        )
        stopped.cancel()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await service.aclose()
    log.info("stopped")
