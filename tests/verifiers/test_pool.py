"""The deadline pool on its own: timeouts, crashes, memory limits, recovery."""

import os
import resource
import time

import pytest

from reward_service.verifiers.pool import TaskTimeout, WorkerDied, WorkerPool
from tests.conftest import run


def _limit(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def square(x: int) -> int:
    return x * x


def sleep_forever() -> None:
    while True:
        time.sleep(1)


def die() -> None:
    os._exit(3)


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def pid() -> int:
    return os.getpid()


@pytest.fixture
def pool():  # type: ignore[no-untyped-def]
    p = WorkerPool(1, max_tasks=3, initializer=_limit, initargs=(512,))
    yield p
    p.close()


def test_result(pool: WorkerPool) -> None:
    assert run(pool.run(square, 7, timeout=5)) == 49


def test_deadline_kills_and_replaces_the_worker(pool: WorkerPool) -> None:
    started = time.monotonic()
    with pytest.raises(TaskTimeout):
        run(pool.run(sleep_forever, timeout=0.5))
    assert time.monotonic() - started < 5
    assert pool.timeouts == 1
    assert run(pool.run(square, 3, timeout=5)) == 9


def test_a_worker_that_exits_is_reported_and_replaced(pool: WorkerPool) -> None:
    with pytest.raises(WorkerDied):
        run(pool.run(die, timeout=5))
    assert pool.deaths == 2  # died, was replayed once, died again: blamed on the task
    assert pool.stats.replays == 1
    assert run(pool.run(square, 4, timeout=5)) == 16


def test_memory_limit_raises_in_the_worker(pool: WorkerPool) -> None:
    with pytest.raises(MemoryError):
        run(pool.run(allocate, 2048, timeout=10))
    assert run(pool.run(allocate, 16, timeout=10)) == 16 * 1024 * 1024


def test_workers_are_recycled_after_max_tasks(pool: WorkerPool) -> None:
    pids = [run(pool.run(pid, timeout=5)) for _ in range(6)]
    assert len(set(pids)) == 2  # max_tasks=3: a fresh worker after three tasks
