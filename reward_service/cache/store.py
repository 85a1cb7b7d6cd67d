"""The score cache the service talks to: typed records over a backend, failing open.

A batch makes one lookup (one backend call: one ``MGET`` on Redis) for its request-level and
answer-level keys together, and one store.

A backend that is down, slow past its timeout or returns garbage never fails a request: the
lookup counts as a miss (stores are skipped), ``reward_cache_errors_total`` goes up and a log
line says so at most once per ``LOG_EVERY_S``. Results that are unscorable are never stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    """Decisions (``d:``/``j:`` keys) and result records (``r:`` keys) in one backend."""

    def __init__(self, backend: CacheBackend, metrics: Metrics, name: str) -> None:
        self.backend = backend
        self._metrics = metrics
        self.name = name
        self._last_log = -LOG_EVERY_S

    async def lookup(self, result_keys: Sequence[str], decision_keys: Sequence[str]) -> Found:
        """One round trip for everything a batch may need: the records of ``result_keys``
        (decoded and counted now) and the stored decisions of ``decision_keys`` (decoded and
        counted when :meth:`Found.decisions` asks: requests answered by their record need
        none). A backend failure counts as a miss for every key."""
        keys = [*result_keys, *decision_keys]
        raw: list[str | None] = [None] * len(keys)
        if keys:
            started = time.perf_counter()
            try:
                raw = await self.backend.get_many(keys)
            except CacheUnavailable as error:
                self._failed("lookup", error)
            finally:
                self._metrics.cache_seconds.labels("lookup").observe(time.perf_counter() - started)
        split = len(result_keys)
        records = self._decoded(raw[:split], "result", decode_result)
        return Found(
            records,
            dict(zip(decision_keys, raw[split:], strict=True)),
            lambda texts: self._decoded(texts, "decision", decode_decision),
        )

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

    def _decoded(
        self, raw: Sequence[str | None], kind: str, decode: Callable[[str], T]
    ) -> list[T | None]:
        """Stored texts decoded (undecodable ones are misses), counted as hits and misses."""
        found: list[T | None] = []
        for value in raw:
            record = None
            if value is not None:
                try:
                    record = decode(value)
                except Undecodable as error:
                    self._failed("decode", error)
            found.append(record)
        hits = len(found) - found.count(None)
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


class Found:
    """What one :meth:`ScoreCache.lookup` found."""

    def __init__(
        self,
        results: list[ResultRecord | None],
        decisions: dict[str, str | None],
        decode: Callable[[Sequence[str | None]], list[Decision | None]],
    ) -> None:
        self.results = results
        """One record per result key, None for a miss."""
        self._decisions = decisions
        self._decode = decode

    def decisions(self, keys: Iterable[str]) -> dict[str, Decision]:
        """The stored decisions of ``keys`` (which were looked up), counted as answer-level
        hits and misses."""
        keys = list(keys)
        found = self._decode([self._decisions[k] for k in keys])
        return {k: d for k, d in zip(keys, found, strict=True) if d is not None}
