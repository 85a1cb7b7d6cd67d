"""Verification work in flight, shared across calls.

A comparison (a ``(gold, answer)`` pair for the worker pool) or a judge question (its ``j:``
key) that one call started is awaited, not run again, by any other call that needs it while it
runs. Each call :meth:`~InFlight.join`\\ s the work it needs and :meth:`~InFlight.leave`\\ s it
when it has its answer or its own deadline passed; work nobody waits for any more is cancelled.

Finished work stays findable until the cache holds its decision, so a call whose cache lookup
came just before another call's store cannot miss both and run the work twice: each
micro-batch takes a :meth:`~InFlight.open` ticket before its lookup and closes it once it has
joined its work; finished work that a micro-batch :meth:`~InFlight.retire`\\ s after its cache
store is forgotten when every ticket opened before that store is closed.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from prometheus_client import Counter as MetricCounter

T = TypeVar("T")


@dataclass(slots=True)
class _Entry:
    task: asyncio.Future[Any]
    waiters: int = 0


class InFlight:
    """Work by key: at most one running task per key, awaited by every call that needs it."""

    def __init__(self, started: MetricCounter, shared: MetricCounter) -> None:
        """``started`` and ``shared`` (labelled by kind) count work run and work awaited from
        another call."""
        self._entries: dict[Hashable, _Entry] = {}
        self._started = started
        self._shared = shared
        self._ticket = 0
        self._open: Counter[int] = Counter()
        self._retired: deque[tuple[int, list[Hashable]]] = deque()

    def __len__(self) -> int:
        return len(self._entries)

    def open(self) -> int:
        """A ticket to hold before a cache lookup; :meth:`close` it once the work is joined."""
        self._ticket += 1
        self._open[self._ticket] += 1
        return self._ticket

    def close(self, ticket: int) -> None:
        self._open[ticket] -= 1
        if self._open[ticket] <= 0:
            del self._open[ticket]
        self._sweep()

    def join(
        self, key: Hashable, kind: str, start: Callable[[], Awaitable[T]]
    ) -> asyncio.Future[T]:
        """The task doing ``key``'s work: the one in flight, or ``start()`` as a new task.
        Every join must be matched by one :meth:`leave`."""
        entry = self._entries.get(key)
        if (
            entry is None
            or entry.task.cancelled()
            or entry.task.get_loop() is not asyncio.get_running_loop()
        ):
            entry = _Entry(asyncio.ensure_future(start()))
            self._entries[key] = entry
            self._started.labels(kind).inc()
        else:
            self._shared.labels(kind).inc()
        entry.waiters += 1
        return entry.task

    def leave(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        """One waiter of ``task`` is done with it; unfinished work nobody awaits is cancelled."""
        entry = self._entries.get(key)
        if entry is None or entry.task is not task:
            return
        entry.waiters -= 1
        if entry.waiters <= 0 and not task.done():
            task.cancel()
            del self._entries[key]

    def retire(self, keys: Iterable[Hashable]) -> None:
        """``keys``' decisions are in the cache now: forget their finished work once every
        ticket opened before now is closed."""
        self._retired.append((self._ticket, list(keys)))
        self._sweep()

    def _sweep(self) -> None:
        oldest_open = min(self._open, default=self._ticket + 1)
        while self._retired and self._retired[0][0] < oldest_open:
            _, keys = self._retired.popleft()
            for key in keys:
                entry = self._entries.get(key)
                # still awaited: the last micro-batch that waits on it retires it again
                if entry is not None and entry.task.done() and entry.waiters <= 0:
                    del self._entries[key]
