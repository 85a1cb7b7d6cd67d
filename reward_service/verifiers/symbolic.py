"""Symbolic verifier: Math-Verify + sympy in a killable worker pool (DESIGN.md §2)."""

from __future__ import annotations

import logging
from importlib.metadata import version

from reward_service.settings import SymbolicSettings
from reward_service.verifiers import symbolic_task
from reward_service.verifiers.magnitude import astronomical
from reward_service.verifiers.outcome import Outcome
from reward_service.verifiers.pool import (
    PoolStats,
    PoolUnavailable,
    TaskTimeout,
    WorkerDied,
    WorkerPool,
)

log = logging.getLogger(__name__)

# the antlr runtime picks which generated LaTeX parser runs, and the parsers differ (4.9.3
# reads fewer answers than 4.13.2): it decides verdicts as much as the others
VERIFIER_PACKAGES = ("math-verify", "sympy", "latex2sympy2_extended", "antlr4-python3-runtime")
_WARMUP_MODULE = "reward_service.verifiers.symbolic_warmup"
"""Imported by the fork server, so workers are forked with sympy loaded and warm."""


def verifier_versions() -> dict[str, str]:
    """Installed versions of the packages that decide symbolic verdicts."""
    return {name: version(name) for name in VERIFIER_PACKAGES}


class SymbolicVerifier:
    """Compares canonical answer strings; every comparison has a hard deadline."""

    def __init__(self, settings: SymbolicSettings) -> None:
        self._settings = settings
        self._pool = WorkerPool(
            settings.workers,
            max_tasks=settings.worker_max_tasks,
            initializer=symbolic_task.init_worker,
            initargs=(settings.worker_memory_mb,),
            preload=(_WARMUP_MODULE,),
            probe=symbolic_task.probe,
            heal_window_s=settings.heal_window_s,
        )

    @property
    def restarts(self) -> int:
        return self._pool.restarts

    @property
    def ready(self) -> bool:
        """A probed worker can take a comparison now."""
        return self._pool.ready

    @property
    def healthy(self) -> bool:
        """False once workers have kept failing to start for ``heal_window_s``."""
        return self._pool.healthy

    def pool_stats(self) -> PoolStats:
        """The pool's counters so far (restarts by cause, replays, starts)."""
        return self._pool.stats

    def workers_alive(self) -> int:
        return self._pool.alive

    async def check(self, gold: str, answer: str) -> Outcome:
        """The outcome of comparing ``answer`` with ``gold``; never raises for bad input."""
        s = self._settings
        if astronomical(answer):
            # what the comparison would reach at its deadline, without tying up a worker
            return Outcome.TIMEOUT
        try:
            return await self._pool.run(
                symbolic_task.check,
                gold,
                answer,
                s.float_rounding,
                s.numeric_precision,
                s.strict,
                s.relation_as_set,
                timeout=s.task_timeout_s,
            )
        except TaskTimeout:
            return Outcome.TIMEOUT
        except WorkerDied as error:
            log.warning("verifier worker died: %s", error)
            return Outcome.ERROR
        except PoolUnavailable as error:
            log.error("verifier pool unavailable: %s", error)
            return Outcome.WORKER_LOST
        except Exception as error:  # an exception raised inside the worker (e.g. MemoryError)
            log.warning("verifier task failed: %s", type(error).__name__)
            return Outcome.ERROR

    def close(self) -> None:
        self._pool.close()
