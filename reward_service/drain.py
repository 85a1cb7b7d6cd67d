"""Shutdown state of a service: what is still running, what may still be admitted, and when
the wait for it ends.

On SIGTERM the server calls :meth:`Drain.begin`: new calls are refused (``shutting_down``)
while calls in progress, and the later messages of streams opened before, go on. When
``drain_timeout_s`` has passed with work still running it calls :meth:`Drain.cut_off`: every
call waiting for a comparison or a judge answer stops waiting and is answered with what was
decided, the rest of its items ``unscorable/shutdown`` (masked: not the response's doing).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class Drain:
    """Counts the calls and open streams in progress; knows whether draining began and whether
    the drain timeout cut the wait short."""

    def __init__(self) -> None:
        self.draining = False
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()
        # Not an asyncio.Event: one binds to the first loop that waits on it, and a service is
        # used from several loops in turn (each `asyncio.run` of an embedding program).
        self._cut = False
        self._cut_waiters: set[asyncio.Future[None]] = set()

    @property
    def cut(self) -> bool:
        """True once :meth:`cut_off` was called: undecided work is answered ``shutdown``."""
        return self._cut

    def begin(self) -> None:
        """Refuse new calls from now on; what is in progress goes on."""
        self.draining = True

    def cut_off(self) -> None:
        """The drain timeout passed: everything waiting for work stops waiting now."""
        self.draining = True
        self._cut = True
        for waiter in self._cut_waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_cut(self) -> None:
        """Return once :meth:`cut_off` was called (on the running loop's own future)."""
        if self._cut:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._cut_waiters.add(waiter)
        try:
            await waiter
        finally:
            self._cut_waiters.discard(waiter)

    async def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no call or stream is in progress; False if ``timeout_s`` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Mark a call or an open stream in progress for as long as the block runs."""
        self._active += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._active -= 1
            if self._active == 0:
                self._idle.set()
