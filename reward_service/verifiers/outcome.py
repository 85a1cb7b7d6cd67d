"""The outcome of one (gold, answer) comparison, as it crosses the process boundary."""

from __future__ import annotations

from enum import IntEnum


class Outcome(IntEnum):
    """Only this small integer leaves a worker: never a sympy object or its string."""

    EQUAL = 1
    NOT_EQUAL = 2
    ANSWER_UNPARSABLE = 3
    GOLD_UNPARSABLE = 4
    TIMEOUT = 5
    """The parent killed the worker at the task's deadline."""
    ERROR = 6
    """The worker raised, or died on this comparison twice (out of memory, crash)."""
    WORKER_LOST = 7
    """No worker could run the comparison (they cannot be started): not the answer's fault."""
    DEADLINE = 8
    """The call's deadline passed before the comparison ended (never leaves a worker)."""
