"""Comparisons that ran into their hard deadline are quarantined for a while: asked again,
they answer ``TIMEOUT`` at once instead of tying up a worker for the full deadline. A policy
that keeps emitting the same LaTeX bomb (or a dataset with a pathological gold) therefore costs
one deadline per ``ttl_s``, not one per request. The result is the same — unscorable/timeout —
only faster. Bounded: the oldest entries go first."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable


class Quarantine:
    def __init__(self, ttl_s: float, capacity: int) -> None:
        self._ttl_s = ttl_s
        self._capacity = capacity
        self._until: OrderedDict[Hashable, float] = OrderedDict()

    def holds(self, key: Hashable) -> bool:
        """True while ``key`` is quarantined."""
        until = self._until.get(key)
        if until is None:
            return False
        if until < time.monotonic():
            del self._until[key]
            return False
        return True

    def add(self, key: Hashable) -> None:
        if self._capacity == 0 or self._ttl_s <= 0:
            return
        self._until[key] = time.monotonic() + self._ttl_s
        self._until.move_to_end(key)
        while len(self._until) > self._capacity:
            self._until.popitem(last=False)
