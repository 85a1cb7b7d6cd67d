"""A pool of worker processes with a hard wall-clock deadline per task.

The parent enforces the deadline: a task still running at its deadline has its worker killed
(SIGTERM, then SIGKILL) and replaced. Workers start from a ``forkserver`` (never ``fork``, which
is unsafe once gRPC or other threads exist), have an address-space limit and are recycled after
``max_tasks`` tasks. Built on pebble's ``ProcessPool``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeoutError
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

T = TypeVar("T")


class TaskTimeout(Exception):
    """The task ran past its deadline; its worker was killed."""


class WorkerDied(Exception):
    """The worker process exited while running the task (crash, out of memory, killed)."""


class WorkerPool:
    """Runs picklable functions in worker processes; each call has its own deadline."""

    def __init__(
        self,
        workers: int,
        *,
        max_tasks: int,
        initializer: Callable[..., None] | None = None,
        initargs: Sequence[Any] = (),
        preload: Sequence[str] = (),
    ) -> None:
        context = multiprocessing.get_context("forkserver")
        if preload:
            context.set_forkserver_preload(list(preload))
        self._pool = ProcessPool(
            max_workers=workers,
            max_tasks=max_tasks,
            initializer=initializer,
            initargs=tuple(initargs),
            context=context,
        )
        self.timeouts = 0
        self.deaths = 0

    @property
    def restarts(self) -> int:
        """Workers replaced because a task timed out or the worker died."""
        return self.timeouts + self.deaths

    async def run(self, function: Callable[..., T], *args: Any, timeout: float) -> T:
        """Run ``function(*args)`` in a worker; raise :class:`TaskTimeout` past ``timeout``
        seconds of run time, :class:`WorkerDied` if the worker exits, or what it raised."""
        future = self._pool.schedule(function, args=args, timeout=timeout)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeoutError as error:
            self.timeouts += 1
            raise TaskTimeout(f"task exceeded {timeout:g}s") from error
        except ProcessExpired as error:
            self.deaths += 1
            raise WorkerDied(str(error)) from error

    def close(self) -> None:
        """Stop the workers, killing any task still running."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join(timeout=10)
