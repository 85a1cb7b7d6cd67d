"""The deadline pool on its own: timeouts, crashes, memory limits, recovery."""

import asyncio
import os
import resource
import signal
import time
from pathlib import Path

import pytest

from reward_service.verifiers.pool import PoolUnavailable, TaskTimeout, WorkerDied, WorkerPool
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


def slow_square(x: int) -> int:
    time.sleep(1.0)
    return x * x


def refuse_to_start_while(flag: str) -> None:
    if os.path.exists(flag):
        raise RuntimeError("this worker cannot start")


def until(condition: object, within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.fixture
def pool():  # type: ignore[no-untyped-def]
    p = WorkerPool(1, max_tasks=3, initializer=_limit, initargs=(512,))
    p.start()
    until(lambda: p.ready)  # the tests time tasks, not the worker's start
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


def test_a_task_whose_worker_is_killed_from_outside_is_replayed(pool: WorkerPool) -> None:
    victim = run(pool.run(pid, timeout=30))

    async def killed_mid_task() -> int:
        task = asyncio.ensure_future(pool.run(slow_square, 5, timeout=30))
        await asyncio.sleep(0.3)
        os.kill(victim, signal.SIGKILL)
        return await task

    assert run(killed_mid_task()) == 25
    assert pool.stats.deaths == 1
    assert pool.stats.replays == 1
    until(lambda: pool.ready)


def test_a_worker_killed_while_idle_is_replaced(pool: WorkerPool) -> None:
    victim = run(pool.run(pid, timeout=30))
    os.kill(victim, signal.SIGKILL)
    until(lambda: pool.stats.lost == 1)
    assert run(pool.run(pid, timeout=30)) != victim
    assert pool.stats.replays == 0  # it was running nothing


def test_a_pool_that_cannot_start_workers_fails_fast_then_heals(tmp_path: Path) -> None:
    flag = tmp_path / "broken"
    flag.touch()
    pool = WorkerPool(
        1,
        max_tasks=10,
        initializer=refuse_to_start_while,
        initargs=(str(flag),),
        heal_window_s=1.0,
    )
    try:
        with pytest.raises(PoolUnavailable):  # not a timeout the task would be blamed for
            run(pool.run(square, 2, timeout=60))
        assert not pool.ready
        until(lambda: not pool.healthy)
        assert pool.stats.start_failures >= 2
        with pytest.raises(PoolUnavailable):  # new work fails at once while it cannot heal
            run(pool.run(square, 2, timeout=60))
        flag.unlink()
        until(lambda: pool.ready)
        assert pool.healthy
        assert run(pool.run(square, 3, timeout=30)) == 9
    finally:
        pool.close()
