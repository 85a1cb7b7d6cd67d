"""The filters over every core: chunks of responses in, one verdict per response out.

The repetition filter's unit-run scan is pure Python and holds the GIL, so threads leave one
core doing all the filtering and the event loop waiting for it. With ``processes`` > 0 the
chunks go to that many filter processes (started from a ``forkserver``, never ``fork``, which
is unsafe once gRPC or other threads run); a process that dies breaks the pool, which is
rebuilt and the chunks it held sent again, once. A chunk that breaks the new pool too costs
its own responses (an exception as their verdict: ``unscorable/internal_error``), never the
batch. With ``processes`` = 0 the filters run in this process, over threads.

A batch smaller than ``_IN_PROCESS_CHARS`` is filtered here whatever the setting: the round
trip to a process would cost more than the filtering.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from reward_service.pipeline.prepare import FilterInput, FilterVerdict, filter_verdict
from reward_service.settings import RepetitionSettings
from reward_service.types import Template

log = logging.getLogger(__name__)

_IN_PROCESS_CHARS = 1 << 16
_CHUNKS_PER_PROCESS = 4
"""More chunks than processes, so a chunk of long responses does not leave a core idle."""


class FilterPool:
    """Filter verdicts for batches of :class:`FilterInput`; :meth:`close` when done."""

    def __init__(self, processes: int, repetition: RepetitionSettings) -> None:
        """``processes``: filter processes (0: threads in this process)."""
        self._processes = processes
        self._repetition = repetition
        self._threads = max(1, os.cpu_count() or 1)
        self._executor: ProcessPoolExecutor | None = None

    async def verdicts(self, items: Sequence[FilterInput]) -> list[FilterVerdict]:
        """One verdict per item, in order."""
        if not items:
            return []
        if self._processes == 0 or sum(len(item.response) for item in items) < _IN_PROCESS_CHARS:
            chunks = _split(list(items), self._threads)
            parts = await asyncio.gather(*(asyncio.to_thread(self._here, c) for c in chunks))
        else:
            chunks = _split(list(items), self._processes * _CHUNKS_PER_PROCESS)
            parts = await asyncio.gather(*(self._in_process(c) for c in chunks))
        return [verdict for part in parts for verdict in part]

    async def warm_up(self) -> None:
        """Start the filter processes and load the filters in each, so that the first large
        batch does not pay for it inside its call."""
        if self._processes == 0:
            return
        loop = asyncio.get_running_loop()
        executor = self._pool()
        probe = [FilterInput("<think>a</think>b", Template.R1, False, slice(7, 8))]
        await asyncio.gather(
            *(
                loop.run_in_executor(executor, _verdicts, probe, self._repetition)
                for _ in range(self._processes)
            )
        )

    def pids(self) -> list[int]:
        """The filter processes running now (none before the first batch sent to them)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return [p.pid for p in processes.values() if p.pid is not None and p.is_alive()]

    def close(self) -> None:
        """Stop the filter processes."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _here(self, chunk: list[FilterInput]) -> list[FilterVerdict]:
        return _verdicts(chunk, self._repetition)

    async def _in_process(self, chunk: list[FilterInput]) -> list[FilterVerdict]:
        """``chunk``'s verdicts from a filter process; a broken pool is rebuilt and the chunk
        sent once more."""
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            executor = self._pool()
            try:
                return await loop.run_in_executor(executor, _verdicts, chunk, self._repetition)
            except BrokenProcessPool as error:
                log.warning("a filter process died (%s); replacing the pool", error)
                if self._executor is executor:  # the first chunk to see it rebuilds
                    executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = None
                if attempt == 1:
                    return [error] * len(chunk)
        raise AssertionError("unreachable")  # pragma: no cover

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self._processes,
                mp_context=multiprocessing.get_context("forkserver"),
            )
        return self._executor


def _verdicts(chunk: list[FilterInput], repetition: RepetitionSettings) -> list[FilterVerdict]:
    return [filter_verdict(item, repetition) for item in chunk]


def _split(items: list[FilterInput], parts: int) -> list[list[FilterInput]]:
    """``items`` in at most ``parts`` contiguous, nearly equal pieces (order kept)."""
    size = -(-len(items) // parts) or 1
    return [items[i : i + size] for i in range(0, len(items), size)]
