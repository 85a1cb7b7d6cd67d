"""A self-healing pool of worker processes with a hard wall-clock deadline per task.

Each worker slot is one thread in this process that owns one worker process and the pipe to
it; there is no lock or queue shared between workers, so a worker killed at any moment (at a
deadline by us, or from outside: the OOM killer, an eviction, ``kill -9``) takes nothing down
with it. The slot notices the death at once (the process sentinel), replays the task it was
running once on a healthy worker, and starts a replacement. A replacement only takes tasks
after it has run a probe task, so :attr:`WorkerPool.ready` means "a worker can score now".

Workers start from a ``forkserver`` (never ``fork``, which is unsafe once gRPC or other threads
exist), run an initializer (the address-space limit) and are recycled after ``max_tasks``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import multiprocessing
import pickle
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

T = TypeVar("T")

_POLL_S = 0.05
"""How often an idle slot checks that its worker is alive and a busy one that its caller still
waits: the bound on how long a death between tasks or an abandoned task goes unnoticed."""
_GIVE_UP_S = 2.0
"""With no worker alive, queued and new tasks fail (``PoolUnavailable``) once starts have kept
failing this long; shorter outages (a worker killed during its probe) are waited out."""
_BOOTED = "booted"
_BACKOFF_S = (0.05, 0.2, 0.5, 1.0, 2.0)
"""Waits between attempts to start a worker that keeps failing to start."""


class TaskTimeout(Exception):
    """The task ran past its deadline; its worker was killed."""


class WorkerDied(Exception):
    """The task's worker exited while running it, and again when it was replayed: the task
    itself is the likely cause (a crash, memory beyond the limit)."""


class PoolUnavailable(Exception):
    """No worker can run the task: workers cannot be started. Not the task's fault."""


@dataclass(eq=False)
class _Task:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    timeout: float
    future: Future[Any] = field(default_factory=Future)
    deaths: int = 0
    abandoned: bool = False
    """Set when the caller stopped waiting: the worker running it is killed."""


class _Exit(Exception):
    """The worker process is gone (died, killed, or its pipe broke)."""


@dataclass
class PoolStats:
    """Counters since the pool was made (read by the metrics when scraped)."""

    timeouts: int = 0
    """Workers killed because their task ran past its deadline."""
    cancelled: int = 0
    """Workers killed because the caller stopped waiting for their task."""
    deaths: int = 0
    """Workers that died while running a task (killed from outside, crashed)."""
    lost: int = 0
    """Workers that died between tasks."""
    replays: int = 0
    """Tasks run again on another worker after theirs died under them."""
    starts: int = 0
    """Workers started and probed."""
    start_failures: int = 0
    """Attempts to start a worker that failed (spawn, initializer or probe)."""


class WorkerPool:
    """Runs picklable functions in worker processes; each call has its own deadline.

    Thread-based underneath, so one pool serves any number of event loops in turn."""

    def __init__(
        self,
        workers: int,
        *,
        max_tasks: int,
        initializer: Callable[..., None] | None = None,
        initargs: Sequence[Any] = (),
        preload: Sequence[str] = (),
        probe: Callable[[], object] | None = None,
        probe_timeout_s: float = 30.0,
        heal_window_s: float = 30.0,
    ) -> None:
        """``probe`` runs in every new worker before it takes tasks; a probe that raises, dies
        or passes ``probe_timeout_s`` counts as a failed start. The pool is unhealthy once
        starts have failed without a success for ``heal_window_s``."""
        self._context = multiprocessing.get_context("forkserver")
        if preload:
            self._context.set_forkserver_preload(list(preload))
        self._size = workers
        self._max_tasks = max_tasks
        self._initializer = initializer
        self._initargs = tuple(initargs)
        self._probe = probe
        self._probe_timeout_s = probe_timeout_s
        self._heal_window_s = heal_window_s
        self._queue: collections.deque[_Task] = collections.deque()
        self._wake = threading.Condition()
        self._closed = False
        self._alive: set[int] = set()
        self._failing_since: float | None = None
        self.stats = PoolStats()
        self._threads: list[threading.Thread] = []

    # -- public surface -------------------------------------------------------------------

    @property
    def timeouts(self) -> int:
        return self.stats.timeouts

    @property
    def deaths(self) -> int:
        return self.stats.deaths

    @property
    def restarts(self) -> int:
        """Workers replaced because a task timed out or a worker died."""
        return self.stats.timeouts + self.stats.deaths + self.stats.lost

    @property
    def ready(self) -> bool:
        """True when at least one started and probed worker can take a task now."""
        return bool(self._alive)

    @property
    def healthy(self) -> bool:
        """False once workers have failed to start, with no success, for ``heal_window_s``."""
        since = self._failing_since
        return since is None or time.monotonic() - since < self._heal_window_s

    @property
    def alive(self) -> int:
        """Workers started, probed and not known to be dead."""
        return len(self._alive)

    def start(self) -> None:
        """Start the slots (also done by the first :meth:`run`)."""
        with self._wake:
            if self._threads or self._closed:
                return
            for index in range(self._size):
                thread = threading.Thread(
                    target=self._slot, args=(index,), name=f"verifier-slot-{index}", daemon=True
                )
                self._threads.append(thread)
                thread.start()

    async def run(self, function: Callable[..., T], *args: Any, timeout: float) -> T:
        """Run ``function(*args)`` in a worker; raise :class:`TaskTimeout` past ``timeout``
        seconds of run time, :class:`WorkerDied` if its worker died on it twice,
        :class:`PoolUnavailable` if no worker can be started, or what the function raised."""
        if self._closed:
            raise PoolUnavailable("the pool is closed")
        since = self._failing_since
        if not self._alive and since is not None and time.monotonic() - since >= _GIVE_UP_S:
            raise PoolUnavailable("no verifier worker could be started")
        self.start()
        task = _Task(function, args, timeout)
        with self._wake:
            self._queue.append(task)
            self._wake.notify()
        try:
            result: T = await asyncio.wrap_future(task.future)
        except asyncio.CancelledError:
            task.abandoned = True
            raise
        return result

    def close(self) -> None:
        """Stop the workers, killing any task still running; queued tasks fail."""
        with self._wake:
            self._closed = True
            pending = list(self._queue)
            self._queue.clear()
            self._wake.notify_all()
        for task in pending:
            _fail(task, PoolUnavailable("the pool is closed"))
        for thread in self._threads:
            thread.join(timeout=10)

    # -- one slot: a thread that owns one worker process -----------------------------------

    def _slot(self, index: int) -> None:
        worker: _Worker | None = None
        failures = 0
        try:
            while not self._closed:
                if worker is None:
                    worker = self._start_worker()
                    if worker is None:
                        failures += 1
                        self._on_start_failure()
                        self._sleep(_BACKOFF_S[min(failures, len(_BACKOFF_S)) - 1])
                        continue
                    failures = 0
                    self._set_alive(index, True)
                task = self._next_task(worker)
                if not worker.process.is_alive():
                    self._set_alive(index, False)
                    if task is not None:
                        self._requeue(task)
                    else:
                        self.stats.lost += 1
                    worker.stop(graceful=False)
                    worker = None
                    continue
                if task is None:
                    continue
                healthy = self._execute(worker, task)
                if not healthy or worker.tasks >= self._max_tasks:
                    self._set_alive(index, False)
                    worker.stop(graceful=healthy)
                    worker = None
        finally:
            self._set_alive(index, False)
            if worker is not None:
                worker.stop(graceful=True)

    def _next_task(self, worker: _Worker) -> _Task | None:
        """The next task to run, or None after one poll interval without one."""
        with self._wake:
            while not self._closed:
                while self._queue:
                    task = self._queue.popleft()
                    if task.deaths or task.future.set_running_or_notify_cancel():
                        return task
                if not worker.process.is_alive():
                    return None
                self._wake.wait(_POLL_S)
        return None

    def _execute(self, worker: _Worker, task: _Task) -> bool:
        """Run ``task`` on ``worker``; False when the worker must be replaced."""
        try:
            ok, value = worker.call(task.function, task.args, task.timeout, lambda: task.abandoned)
        except TimeoutError:
            if task.abandoned:
                self.stats.cancelled += 1
                _fail(task, TaskTimeout("the caller stopped waiting"))
            else:
                self.stats.timeouts += 1
                _fail(task, TaskTimeout(f"task exceeded {task.timeout:g}s"))
            return False
        except _Exit:
            self._requeue(task)
            return False
        if ok:
            task.future.set_result(value)
        else:
            _fail(task, value)
        return True

    def _requeue(self, task: _Task) -> None:
        """A task whose worker died under it: replayed once, first in line; a second death
        is blamed on the task."""
        self.stats.deaths += 1
        task.deaths += 1
        if task.deaths > 1 or task.abandoned:
            _fail(task, WorkerDied("the worker died twice running this task"))
            return
        self.stats.replays += 1
        with self._wake:
            if self._closed:
                _fail(task, PoolUnavailable("the pool is closed"))
                return
            self._queue.appendleft(task)
            self._wake.notify()

    def _start_worker(self) -> _Worker | None:
        try:
            worker = _Worker.spawn(self._context, self._initializer, self._initargs)
        except Exception:  # fork refused, forkserver gone, ...: an infrastructure failure
            return None
        try:
            ok = worker.booted(self._probe_timeout_s)
            if ok and self._probe is not None:
                ok, _ = worker.call(self._probe, (), self._probe_timeout_s, lambda: self._closed)
        except (TimeoutError, _Exit):
            ok = False
        if not ok:
            worker.stop(graceful=False)
            return None
        self._failing_since = None
        self.stats.starts += 1
        return worker

    def _on_start_failure(self) -> None:
        self.stats.start_failures += 1
        if self._failing_since is None:
            self._failing_since = time.monotonic()
        if self._alive or time.monotonic() - self._failing_since < _GIVE_UP_S:
            return
        # Nobody can run the queue: fail it now rather than let every task wait for a
        # deadline it would be wrongly blamed for.
        with self._wake:
            pending = list(self._queue)
            self._queue.clear()
        for task in pending:
            if task.deaths or task.future.set_running_or_notify_cancel():
                _fail(task, PoolUnavailable("no verifier worker could be started"))

    def _set_alive(self, index: int, alive: bool) -> None:
        with self._wake:
            if alive:
                self._alive.add(index)
            else:
                self._alive.discard(index)

    def _sleep(self, seconds: float) -> None:
        with self._wake:
            if not self._closed:
                self._wake.wait(seconds)


def _fail(task: _Task, error: BaseException) -> None:
    if not task.future.done():
        task.future.set_exception(error)


@dataclass(eq=False)
class _Worker:
    """One worker process and the parent's end of its pipe."""

    process: BaseProcess
    conn: Connection
    tasks: int = 0

    @classmethod
    def spawn(
        cls,
        context: Any,
        initializer: Callable[..., None] | None,
        initargs: tuple[Any, ...],
    ) -> _Worker:
        parent, child = context.Pipe(duplex=True)
        process = context.Process(
            target=_serve,
            args=(child, initializer, initargs),
            name="verifier-worker",
            daemon=True,
        )
        try:
            process.start()
        finally:
            child.close()  # only the worker holds it now, so its death reads as EOF here
        return cls(process, parent)

    def booted(self, timeout: float) -> bool:
        """Wait for the worker's start-up message (sent once its initializer ran): a task's
        deadline must not pay for the worker's start."""
        ready = wait([self.conn, self.process.sentinel], timeout)
        if self.conn not in ready:
            return False
        try:
            return bool(self.conn.recv() == _BOOTED)
        except (OSError, EOFError):
            return False

    def call(
        self,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        timeout: float,
        abandoned: Callable[[], bool],
    ) -> tuple[bool, Any]:
        """(True, result) or (False, the exception raised); :class:`TimeoutError` past
        ``timeout`` or once ``abandoned()``, :class:`_Exit` if the worker is gone."""
        deadline = time.monotonic() + timeout
        try:
            self.conn.send((function, args))
        except (OSError, EOFError) as error:
            raise _Exit from error
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or abandoned():
                raise TimeoutError
            ready = wait([self.conn, self.process.sentinel], min(remaining, _POLL_S))
            if self.conn in ready:
                try:
                    reply: tuple[bool, Any] = self.conn.recv()
                except (OSError, EOFError) as error:
                    raise _Exit from error
                self.tasks += 1
                return reply
            if ready:
                raise _Exit

    def stop(self, *, graceful: bool) -> None:
        """End the process: ask it to exit when ``graceful``, kill it otherwise (or if it
        does not exit within a second)."""
        if graceful and self.process.is_alive():
            with contextlib.suppress(OSError, EOFError):
                self.conn.send(None)
            self.process.join(1)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def _serve(
    conn: Connection, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    """The worker process: run what arrives on ``conn`` until ``None`` or the parent leaves."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    if initializer is not None:
        initializer(*initargs)
    conn.send(_BOOTED)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        function, args = message
        try:
            reply: tuple[bool, Any] = (True, function(*args))
        except Exception as error:
            reply = (False, error)
        try:
            conn.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            conn.send((False, RuntimeError(f"unpicklable reply: {type(error).__name__}")))
