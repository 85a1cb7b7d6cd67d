"""The score cache the service talks to: typed records over a backend, failing open.

A backend that is down, slow past its timeout or returns garbage never fails a request: the
lookup counts as a miss (stores are skipped), ``reward_cache_errors_total`` goes up and a log
line says so at most once per ``LOG_EVERY_S``. Results that are unscorable are never stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from reward_service.cache.base import CacheBackend, CacheUnavailable
from reward_service.cache.records import (
    ResultRecord,
    Undecodable,
    decode_decision,
    decode_result,
    encode_decision,
    encode_result,
)
from reward_service.metrics import Metrics
from reward_service.types import Status
from reward_service.verdicts import Decision

log = logging.getLogger(__name__)
T = TypeVar("T")
LOG_EVERY_S = 30.0


class ScoreCache:
    """Decisions (``d:`` keys) and result records (``r:`` keys) in one backend."""

    def __init__(self, backend: CacheBackend, metrics: Metrics, name: str) -> None:
        self.backend = backend
        self._metrics = metrics
        self.name = name
        self._last_log = -LOG_EVERY_S

    async def decisions(self, keys: Sequence[str]) -> list[Decision | None]:
        return await self._get(keys, "decision", decode_decision)

    async def results(self, keys: Sequence[str]) -> list[ResultRecord | None]:
        return await self._get(keys, "result", decode_result)

    async def store(
        self, decisions: Mapping[str, Decision], results: Mapping[str, ResultRecord]
    ) -> None:
        """One round trip for everything a batch learned; undecided work is dropped here."""
        items = {k: encode_decision(d) for k, d in decisions.items() if d.verdict is not None}
        items.update(
            {k: encode_result(r) for k, r in results.items() if r.status is not Status.UNSCORABLE}
        )
        if not items:
            return
        started = time.perf_counter()
        try:
            await self.backend.set_many(items)
        except CacheUnavailable as error:
            self._failed("store", error)
        finally:
            self._metrics.cache_seconds.labels("store").observe(time.perf_counter() - started)

    async def _get(
        self, keys: Sequence[str], kind: str, decode: Callable[[str], T]
    ) -> list[T | None]:
        if not keys:
            return []
        started = time.perf_counter()
        try:
            raw = await self.backend.get_many(keys)
        except CacheUnavailable as error:
            self._failed("lookup", error)
            raw = [None] * len(keys)
        finally:
            self._metrics.cache_seconds.labels("lookup").observe(time.perf_counter() - started)
        found: list[T | None] = []
        for value in raw:
            record = None
            if value is not None:
                try:
                    record = decode(value)
                except Undecodable as error:
                    self._failed("decode", error)
            found.append(record)
        hits = sum(r is not None for r in found)
        self._metrics.cache_lookups.labels(kind, "hit").inc(hits)
        self._metrics.cache_lookups.labels(kind, "miss").inc(len(found) - hits)
        return found

    def _failed(self, operation: str, error: Exception) -> None:
        self._metrics.cache_errors.labels(operation).inc()
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            log.warning("%s cache %s failed, scoring uncached: %s", self.name, operation, error)

    async def aclose(self) -> None:
        await self.backend.aclose()
