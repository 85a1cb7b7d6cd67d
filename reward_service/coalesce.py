"""Server-side coalescing: concurrent calls gathered into micro-batches.

Trainers mostly send one sample per call, so a GRPO step arrives as thousands of concurrent
single-sample calls. The service admits each call on its own (batch limit, ``max_in_flight``,
draining), then hands it to the :class:`Coalescer`, which gathers the calls that arrive within
``coalesce.window_ms`` of the first one, or until ``coalesce.max_requests`` requests are
waiting, into one micro-batch. The micro-batch runs the batch machinery once — one plan pass,
one cache round trip, one filter pass, dedup, one cache store — while every call keeps its own
deadline and gets its own results (or its own error) as soon as they are ready.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from reward_service.metrics import Metrics
from reward_service.settings import CoalesceSettings
from reward_service.types import ScoreRequest, ScoreResult


@dataclass(eq=False, slots=True)
class Call:
    """One admitted call waiting in, or scored by, a micro-batch."""

    requests: Sequence[ScoreRequest]
    deadline: float
    """``time.monotonic()`` past which its unfinished work counts as timed out."""
    future: asyncio.Future[list[ScoreResult]]
    started: float = field(default_factory=time.perf_counter)

    def resolve(self, results: list[ScoreResult]) -> None:
        if not self.future.done():  # the caller may have gone (cancelled)
            self.future.set_result(results)

    def fail(self, error: BaseException) -> None:
        if self.future.done():
            return
        if isinstance(error, asyncio.CancelledError):
            self.future.cancel()
        else:
            self.future.set_exception(error)


Runner = Callable[[list[Call]], Awaitable[None]]
"""Scores a micro-batch: resolves (or fails) every call in it."""


class Coalescer:
    """Gathers calls into micro-batches and hands each to ``run`` as soon as it closes."""

    def __init__(self, settings: CoalesceSettings, run: Runner, metrics: Metrics) -> None:
        self._window_s = settings.window_ms / 1000
        self._max_requests = settings.max_requests
        self._run = run
        self._metrics = metrics
        self._pending: list[Call] = []
        self._pending_requests = 0
        self._timer: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, requests: Sequence[ScoreRequest], deadline: float) -> list[ScoreResult]:
        """The results of ``requests`` (in order), scored in the next micro-batch; raises what
        scoring them raised."""
        loop = asyncio.get_running_loop()
        call = Call(requests, deadline, loop.create_future())
        self._pending.append(call)
        self._pending_requests += len(requests)
        if self._pending_requests >= self._max_requests or self._window_s == 0:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._window_s, self._flush)
        return await call.future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        calls, self._pending = self._pending, []
        self._metrics.micro_batch_calls.observe(len(calls))
        self._metrics.micro_batch_requests.observe(self._pending_requests)
        self._pending_requests = 0
        task = asyncio.ensure_future(self._score(calls))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _score(self, calls: list[Call]) -> None:
        try:
            await self._run(calls)
        except BaseException as error:
            for call in calls:
                call.fail(error)
            if not isinstance(error, Exception):
                raise
        for call in calls:
            call.fail(AssertionError("a micro-batch left a call unanswered"))

    async def join(self) -> None:
        """Wait for the micro-batches still running (each is bounded by its calls' deadlines)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
