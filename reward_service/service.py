"""The core: a batch of requests in, one result per request out, same order.

Every front door and the offline CLI call :meth:`RewardService.score_batch`. A call is
admitted on its own — the batch limit, backpressure (``max_in_flight``), draining — then
coalesced with the calls arriving at the same time into a micro-batch (``coalesce.py``). For a
micro-batch:

1. the plan of every request (``pipeline/prepare.py``), off the event loop: its request-level
   key and, from its answer span, the work it needs and that work's answer-level key;
2. one cache lookup (one round trip) for all those keys: identical requests seen before are
   answered from their stored result;
3. at once, the work their plans name that the answer-level cache did not know: each
   distinct (gold, answer) comparison once in the worker pool, each distinct judge question
   once — and work another call already has in flight is awaited, not run again
   (``inflight.py``) — each call under its own deadline;
4. meanwhile the filters (format tags, repetition) for the requests the lookup did not
   answer, off the event loop; a response they reject keeps its filter result, and the
   decision of work started for it is cached at the answer level but not used;
5. one cache store for everything decided; each call's results, with the reward from the
   reward table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from reward_service import __version__
from reward_service.blame import blame_for
from reward_service.cache import CacheBackend, ScoreCache, build_cache
from reward_service.cache.records import ResultRecord
from reward_service.coalesce import Call, Coalescer
from reward_service.drain import Drain
from reward_service.errors import ErrorCode, ServiceError
from reward_service.format_alarm import FormatAlarm
from reward_service.inflight import InFlight
from reward_service.metrics import Metrics
from reward_service.pipeline.filter_pool import FilterPool
from reward_service.pipeline.prepare import (
    JudgeWork,
    Pair,
    Plan,
    Planner,
    Prepared,
    Stage,
    SymbolicWork,
    cascaded,
    decide,
    pairs,
    stated,
)
from reward_service.settings import Settings
from reward_service.types import (
    Blame,
    PartResult,
    Provenance,
    Reason,
    Route,
    ScoreRequest,
    ScoreResult,
    Status,
    construct_trusted,
)
from reward_service.verdicts import Decision
from reward_service.verifiers.fastpath import FastPath
from reward_service.verifiers.judge import build_judge
from reward_service.verifiers.outcome import Outcome
from reward_service.verifiers.quarantine import Quarantine
from reward_service.verifiers.symbolic import SymbolicVerifier, verifier_versions


class RewardService:
    """Scores batches of requests. Owns the verifier pool and the cache; call :meth:`close`
    (or :meth:`aclose` from async code) when done.

    Shared by every front door: it enforces the batch limit, backpressure (``max_in_flight``),
    deadlines and draining, and records the metrics, so the doors only convert formats.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        verifier: SymbolicVerifier | None = None,
        cache_backend: CacheBackend | None = None,
    ) -> None:
        """``verifier`` and ``cache_backend`` default to what the settings describe."""
        self.settings = settings
        self.metrics = Metrics()
        self.verifier = verifier if verifier is not None else SymbolicVerifier(settings.symbolic)
        self.metrics.watch_pool(self.verifier.pool_stats, self.verifier.workers_alive)
        self.cache = (
            build_cache(settings, self.metrics)
            if cache_backend is None
            else ScoreCache(cache_backend, self.metrics, type(cache_backend).__name__)
        )
        versions = verifier_versions()
        s = settings.symbolic
        verifier_tag = json.dumps(
            [versions, s.float_rounding, s.numeric_precision, s.strict, s.relation_as_set],
            sort_keys=True,
        )
        self.judge = build_judge(settings.judge, self.metrics.judge)
        judge_tag = self.judge.tag if self.judge is not None else "no-judge"
        self._config_tag = f"{verifier_tag}|{judge_tag}|{settings.config_hash()}"
        self._planner = Planner(settings, verifier_tag, self._config_tag, self.judge)
        self.provenance = Provenance(
            service_version=__version__,
            verifier_versions=versions,
            judge_model=(
                f"{self.judge.spec.name}@{self.judge.spec.template_version}"
                if self.judge is not None
                else None
            ),
            config_hash=settings.config_hash(),
        )
        self.metrics.build_info.info(
            {"version": __version__, **{k.replace("-", "_"): v for k, v in versions.items()}}
        )
        self._format_alarm = FormatAlarm(self.metrics)
        self._quarantine = Quarantine(settings.symbolic.quarantine_s, 10_000)
        self._inflight = InFlight(self.metrics.work_started, self.metrics.work_shared)
        self._coalescer = Coalescer(settings.coalesce, self._score_calls, self.metrics)
        self._fast_path = FastPath(s.float_rounding) if s.fast_path else None
        self._filters = FilterPool(settings.filter_processes, settings.repetition)
        self.in_flight = 0
        self.drain = Drain()

    async def warm_up(self) -> None:
        """Run one comparison through the worker pool and start the filter processes, so
        both are up before traffic."""
        await asyncio.gather(self.verifier.check("1", "1.0"), self._filters.warm_up())

    @property
    def draining(self) -> bool:
        return self.drain.draining

    def begin_drain(self) -> None:
        """Refuse new calls (``shutting_down``); calls already admitted, and streams already
        open, run to the end."""
        self.drain.begin()

    async def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no call is in flight and no stream open; False if ``timeout_s`` passed
        first."""
        return await self.drain.wait_idle(timeout_s)

    def cut_off(self) -> None:
        """End the drain: every call in flight is answered now with what was decided, its
        work still running ``unscorable/shutdown`` (masked)."""
        self.drain.cut_off()

    async def score(self, request: ScoreRequest, *, timeout_s: float | None = None) -> ScoreResult:
        """Score one request."""
        return (await self.score_batch([request], timeout_s=timeout_s))[0]

    async def score_batch(
        self, requests: Sequence[ScoreRequest], *, timeout_s: float | None = None
    ) -> list[ScoreResult]:
        """Score a batch; results are in request order, one per request.

        ``timeout_s`` bounds the server-side work (default ``default_timeout_s``, at most
        ``max_timeout_s``): comparisons still running at the deadline are cancelled and their
        requests come back ``unscorable/timeout``. A bad request never raises: its problem is
        in its result. Raises :class:`ServiceError` only when refusing the whole call
        (``batch_too_large``, ``overloaded``, ``shutting_down``).
        """
        if self.draining:
            raise ServiceError(ErrorCode.SHUTTING_DOWN, "the service is shutting down")
        return await self._score_admitted(requests, timeout_s)

    @contextlib.contextmanager
    def stream(self) -> Iterator[Scorer]:
        """Open a stream of calls: the scorer it yields works like :meth:`score_batch` but
        keeps admitting the stream's calls while the service drains (a stream opened before
        SIGTERM is not cut), and the drain waits for the stream, up to its timeout. Raises
        ``shutting_down`` when opened during the drain."""
        if self.draining:
            raise ServiceError(ErrorCode.SHUTTING_DOWN, "the service is shutting down")
        with self.drain.active():
            yield self._score_admitted

    async def _score_admitted(
        self, requests: Sequence[ScoreRequest], timeout_s: float | None = None
    ) -> list[ScoreResult]:
        settings = self.settings
        self.check_batch_size(len(requests))
        if self.in_flight and self.in_flight + len(requests) > settings.max_in_flight:
            raise ServiceError(
                ErrorCode.OVERLOADED,
                f"{self.in_flight} responses in flight; the limit is {settings.max_in_flight}",
            )
        budget = min(timeout_s or settings.default_timeout_s, settings.max_timeout_s)
        self._admit(len(requests))
        try:
            with self.drain.active():
                return await self._coalescer.submit(requests, time.monotonic() + budget)
        finally:
            self._release(len(requests))

    def check_batch_size(self, count: int) -> None:
        """Raise ``batch_too_large`` past ``max_batch_size``. The doors call it with the number
        of items a call carries, malformed ones included, before reading them."""
        if count > self.settings.max_batch_size:
            raise ServiceError(
                ErrorCode.BATCH_TOO_LARGE,
                f"{count} requests in one batch; the limit is {self.settings.max_batch_size}",
            )

    def _admit(self, count: int) -> None:
        self.in_flight += count
        self.metrics.in_flight.set(self.in_flight)

    def _release(self, count: int) -> None:
        self.in_flight -= count
        self.metrics.in_flight.set(self.in_flight)

    async def _score_calls(self, calls: Sequence[Call]) -> None:
        """Score one micro-batch (see ``coalesce.py``): one plan pass, cache lookup, filter
        pass and cache store for all its calls. The work each plan names starts as soon as
        the lookup is back, while the filters run. Each call waits for its own work until its
        own deadline and is answered once the store is done or, at the latest, at its
        deadline."""
        ticket = self._inflight.open()
        try:
            batch = await self._look_up([r for call in calls for r in call.requests])
            judge_deadline = max(call.deadline for call in calls)
            spans = list(_spans(calls))
            joined = [self._join(batch, span, judge_deadline) for span in spans]
        finally:
            self._inflight.close(ticket)
        filtering = asyncio.ensure_future(self._filter(batch))
        settling = [
            asyncio.ensure_future(self._settle_call(batch, span, work, call.deadline, filtering))
            for call, span, work in zip(calls, spans, joined, strict=True)
        ]
        stored = asyncio.Event()
        answering = [
            asyncio.ensure_future(self._answer(call, batch, span, task, stored))
            for call, span, task in zip(calls, spans, settling, strict=True)
        ]
        try:
            with self.metrics.stage_seconds.labels("verify").time():
                await asyncio.wait(settling)
            fresh: dict[str, Decision] = {}
            for task in settling:
                if not task.cancelled() and task.exception() is None:
                    fresh.update(task.result())
            records = {
                key: record
                for i, record in enumerate(batch.records)
                if i in batch.staged
                and record is not None
                and (key := batch.plans[i].key) is not None
            }
            with self.metrics.stage_seconds.labels("cache_store").time():
                await self.cache.store(fresh, records)
        finally:
            self._inflight.retire({key for work in joined for key in work})
            stored.set()
            await asyncio.gather(*answering)

    async def _look_up(self, requests: list[ScoreRequest]) -> _Batch:
        """Plans and the one cache lookup: the work the plans name for the requests the
        lookup did not answer is ``planned``, and what the answer-level cache knows of it
        ``known``."""
        stage = self.metrics.stage_seconds
        with stage.labels("plan").time():
            # hashing long responses is CPU work: off the loop, like the filters
            plans = await asyncio.to_thread(self._planner.plan, requests)
        keyed = [(i, plan.key) for i, plan in enumerate(plans) if plan.key is not None]
        work_keys = {
            plan.outcome.key: None
            for plan in plans
            if plan.layout is not None and isinstance(plan.outcome, SymbolicWork | JudgeWork)
        }
        with stage.labels("cache_lookup").time():
            found = await self.cache.lookup([key for _, key in keyed], list(work_keys))
        records: list[ResultRecord | None] = [None] * len(requests)
        for (i, _), record in zip(keyed, found.results, strict=True):
            records[i] = record
        planned = {
            i: plan.outcome
            for i, (plan, record) in enumerate(zip(plans, records, strict=True))
            if record is None
            and plan.layout is not None
            and isinstance(plan.outcome, SymbolicWork | JudgeWork)
        }
        work = {w.key: w for w in planned.values()}
        return _Batch(requests, plans, records, planned, found.decisions(work))

    async def _filter(self, batch: _Batch) -> None:
        """The filters for what the lookup did not answer, off the event loop (CPU-bound:
        zlib and the unit-run scan over long responses) and over the filter processes
        (``pipeline/filter_pool.py``), so health checks and other calls stay responsive while
        a big batch is filtered; fills in ``batch.staged``."""
        planner = self._planner
        todo = [i for i, record in enumerate(batch.records) if record is None]
        inputs = {
            i: item
            for i in todo
            if (item := planner.filter_input(batch.requests[i], batch.plans[i])) is not None
        }
        with self.metrics.stage_seconds.labels("filter").time():
            verdicts = await self._filters.verdicts(list(inputs.values()))
        found = dict(zip(inputs, verdicts, strict=True))
        for i in todo:
            plan = batch.plans[i]
            if i in found:
                batch.staged[i] = planner.settled(batch.requests[i], plan, found[i])
            else:
                batch.staged[i] = plan.outcome

    def _join(
        self, batch: _Batch, span: range, judge_deadline: float
    ) -> dict[Hashable, asyncio.Future[Any]]:
        """Join (or start) the work that one call's plans name and the cache did not know:
        each distinct comparison, each distinct judge question; identical text and
        quarantined comparisons need no worker. Started before the filters are done, so a
        response they reject may have started work: its decision is cached, not used."""
        joined: dict[Hashable, asyncio.Future[Any]] = {}
        for i in span:
            work = batch.planned.get(i)
            if work is None or work.key in batch.known:
                continue
            if isinstance(work, JudgeWork):
                if self.judge is not None and work.key not in joined:
                    joined[work.key] = self._inflight.join(
                        work.key, "judge", partial(self.judge.decide, work.item, judge_deadline)
                    )
                continue
            for pair in pairs(work):
                if pair[0] != pair[1] and pair not in joined and not self._quarantine.holds(pair):
                    joined[pair] = self._inflight.join(
                        pair, "comparison", partial(self._check, pair)
                    )
        return joined

    async def _check(self, pair: Pair) -> Outcome:
        """One comparison: settled in this process when the fast path can (plain numerals,
        exactly the worker's verdict), else in the worker pool."""
        if self._fast_path is not None:
            outcome = self._fast_path.outcome(*pair)
            if outcome is not None:
                self.metrics.comparisons.labels("fast").inc()
                return outcome
        self.metrics.comparisons.labels("worker").inc()
        return await self.verifier.check(*pair)

    async def _settle_call(
        self,
        batch: _Batch,
        span: range,
        joined: dict[Hashable, asyncio.Future[Any]],
        deadline: float,
        filtering: asyncio.Future[None],
    ) -> dict[str, Decision]:
        """Wait for the filters, then for one call's work until its deadline or the drain's
        cut-off; fill in its records and return the decisions it made, for the work of
        filtered responses too (work still running then is undecided: timeout, or
        shutdown)."""
        done: dict[Hashable, Any] = {}
        cut = False
        try:
            await asyncio.shield(filtering)  # shared by the micro-batch's calls
            if joined:
                await self._wait_for_work(joined.values(), deadline)
            cut = self.drain.cut
            done = {k: f.result() for k, f in joined.items() if f.done() and not f.cancelled()}
        finally:
            for key, task in joined.items():
                self._inflight.leave(key, task)
        decisions = dict(batch.known)
        fresh: dict[str, Decision] = {}
        for i in span:
            planned = batch.planned.get(i)
            if planned is not None and planned.key not in decisions:
                fresh[planned.key] = decisions[planned.key] = self._decision(planned, done, cut)
        for i in span:
            work = batch.staged.get(i)
            if isinstance(work, SymbolicWork) and (judged := cascaded(work, decisions)):
                batch.cascaded[i] = judged
        if any(i in batch.cascaded for i in span):
            asked = [batch.cascaded[i] for i in span if i in batch.cascaded]
            fresh.update(await self._cascade(batch, asked, decisions, joined, deadline))
        for i in span:
            work = batch.cascaded.get(i) or batch.staged.get(i)
            if work is not None:
                batch.records[i] = _record(work, decisions)
        return fresh

    async def _cascade(
        self,
        batch: _Batch,
        asked: list[JudgeWork],
        decisions: dict[str, Decision],
        joined: dict[Hashable, asyncio.Future[Any]],
        deadline: float,
    ) -> dict[str, Decision]:
        """Ask the judge about symbolic work the verifier could not decide
        (``pipeline/cascade.py``): what the cache does not know, once per question, awaited
        until the call's deadline. Adds what it learns to ``decisions`` and returns the fresh
        part; the questions it starts join ``joined``, to be retired after the store."""
        todo = {work.key: work for work in asked if work.key not in decisions}
        judge = self.judge
        if not todo or judge is None:
            return {}
        ticket = self._inflight.open()
        try:
            known = (await self.cache.lookup([], list(todo))).decisions(todo)
            batch.known.update(known)
            decisions.update(known)
            started = {
                key: self._inflight.join(key, "judge", partial(judge.decide, work.item, deadline))
                for key, work in todo.items()
                if key not in known
            }
        finally:
            self._inflight.close(ticket)
        joined.update(started)
        try:
            if started:
                await self._wait_for_work(started.values(), deadline)
        finally:
            for key, task in started.items():
                self._inflight.leave(key, task)
        done: dict[Hashable, Any] = {
            k: task.result() for k, task in started.items() if task.done() and not task.cancelled()
        }
        cut = self.drain.cut
        fresh = {key: self._decision(todo[key], done, cut) for key in started}
        decisions.update(fresh)
        return fresh

    async def _wait_for_work(self, work: Iterable[asyncio.Future[Any]], deadline: float) -> None:
        """Until all ``work`` is done, ``deadline`` (monotonic) passes or the drain is cut."""
        if self.drain.cut:
            return
        finished = asyncio.ensure_future(asyncio.wait(work))
        cut = asyncio.ensure_future(self.drain.wait_cut())
        try:
            await asyncio.wait(
                (finished, cut),
                timeout=max(0, deadline - time.monotonic()),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:  # cancels the waiting only; the work goes on for other calls
            finished.cancel()
            cut.cancel()

    def _decision(
        self, work: SymbolicWork | JudgeWork, done: dict[Hashable, Any], cut: bool
    ) -> Decision:
        """``cut``: the drain's cut-off, not the call's deadline, ended the wait."""
        if isinstance(work, JudgeWork):
            decided: Decision | None = done.get(work.key)
            if decided is None:  # the call's deadline or the shutdown: not the response's doing
                return Decision(
                    None, Reason.SHUTDOWN if cut else Reason.TIMEOUT, blame=Blame.INFRASTRUCTURE
                )
            return decided
        outcomes = {}
        for pair in pairs(work):
            if pair[0] == pair[1]:
                outcomes[pair] = Outcome.EQUAL
            elif pair in done:
                outcomes[pair] = done[pair]
                if done[pair] is Outcome.TIMEOUT:
                    self._quarantine.add(pair)  # the worker's own deadline, not the call's
            elif self._quarantine.holds(pair):  # hit the worker's deadline before
                outcomes[pair] = Outcome.TIMEOUT
            else:  # still running at the call's deadline (or the shutdown)
                outcomes[pair] = Outcome.DEADLINE
        decision = decide(work, outcomes)
        if cut and decision.reason is Reason.TIMEOUT and decision.cause is Blame.INFRASTRUCTURE:
            return replace(decision, reason=Reason.SHUTDOWN)
        return decision

    async def _answer(
        self,
        call: Call,
        batch: _Batch,
        span: range,
        settling: asyncio.Future[dict[str, Decision]],
        stored: asyncio.Event,
    ) -> None:
        """Resolve one call once its records are in and stored, or at its deadline."""
        try:
            await settling
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stored.wait(), max(0, call.deadline - time.monotonic()))
            elapsed_ms = (time.perf_counter() - call.started) * 1000
            results = [
                self._result(request, record, self._was_cached(batch, i, record), elapsed_ms)
                for request, i, record in zip(
                    call.requests, span, _filled(batch.records[span.start : span.stop]), strict=True
                )
            ]
        except Exception as error:
            call.fail(error)
            return
        for (status, reason), count in Counter((r.status, r.reason) for r in results).items():
            self.metrics.results.labels(status.value, reason.value).inc(count)
        for route, count in Counter(r.route for r in results).items():
            self.metrics.routes.labels(route.value).inc(count)
        for (blame, reason), count in Counter(
            (r.blame, r.reason) for r in results if r.blame is not None
        ).items():
            self.metrics.unscorable.labels(blame.value, reason.value).inc(count)
        self._format_alarm.observe(results)
        call.resolve(results)

    @staticmethod
    def _was_cached(batch: _Batch, index: int, record: ResultRecord) -> bool:
        """Whether the verdict came from the cache: the request's own record, or its work's."""
        work = batch.cascaded.get(index) or batch.staged.get(index)
        if work is None:
            return True
        return isinstance(work, SymbolicWork | JudgeWork) and work.key in batch.known

    def _result(
        self, request: ScoreRequest, record: ResultRecord, cached: bool, elapsed_ms: float
    ) -> ScoreResult:
        reward = self.settings.rewards.reward(
            record.status, record.verdict, record.fraction_correct, record.blame, record.reason
        )
        parts = None
        if record.parts is not None:
            parts = [
                PartResult(index=i, verdict=verdict, extracted_answer=answer)
                for i, (verdict, answer) in enumerate(record.parts)
            ]
        # built from typed records, so validation would only re-check what is known
        return construct_trusted(
            ScoreResult,
            {
                "id": request.id,
                "status": record.status,
                "verdict": record.verdict,
                "reason": record.reason,
                "reward": reward,
                "route": record.route,
                "route_reason": record.route_reason,
                "extracted_answer": record.extracted_answer,
                "parts": parts,
                "cached": cached,
                "elapsed_ms": elapsed_ms,
                "detail": record.detail,
                "provenance": self.provenance,
                "blame": record.blame,
            },
        )

    def close(self) -> None:
        """Stop the verifier workers and the filter processes (the in-process cache needs
        nothing more)."""
        self.verifier.close()
        self._filters.close()

    async def aclose(self) -> None:
        """Stop the workers and close the cache's and the judge's connections."""
        await self._coalescer.join()
        self.verifier.close()
        self._filters.close()
        await self.cache.aclose()
        if self.judge is not None:
            await self.judge.aclose()


Scorer = Callable[[Sequence[ScoreRequest], float | None], Awaitable[list[ScoreResult]]]
"""Scores a batch under a deadline in seconds (None: the default), like ``score_batch``."""


@dataclass(slots=True)
class _Batch:
    """A micro-batch after its plan and cache lookup, then its filters."""

    requests: list[ScoreRequest]
    plans: list[Plan]
    records: list[ResultRecord | None]
    """Per request: its cached record, else (once its call is settled) what was decided."""
    planned: dict[int, SymbolicWork | JudgeWork]
    """The work the plans name for the requests the cache did not answer (by index), whether
    or not the filters pass them."""
    known: dict[str, Decision]
    """Decisions of that work that the answer-level cache held."""
    staged: dict[int, Stage] = field(default_factory=dict)
    """The requests the cache did not answer (by index), after the filters."""
    cascaded: dict[int, JudgeWork] = field(default_factory=dict)
    """The requests whose symbolic work the judge decides instead (``pipeline/cascade.py``)."""


def _spans(calls: Sequence[Call]) -> Iterator[range]:
    """Each call's requests' positions in the micro-batch."""
    start = 0
    for call in calls:
        yield range(start, start + len(call.requests))
        start += len(call.requests)


def _filled(records: list[ResultRecord | None]) -> list[ResultRecord]:
    if any(record is None for record in records):
        raise AssertionError("a request was left without a result")
    return [record for record in records if record is not None]


def _record(stage: Stage, decisions: dict[str, Decision]) -> ResultRecord:
    """What the pipeline (and the verifier, for symbolic work) decided for one request."""
    if isinstance(stage, Prepared):
        return ResultRecord(
            status=stage.status,
            verdict=stage.verdict,
            reason=stage.reason,
            route=stage.route.route if stage.route else Route.NONE,
            route_reason=stage.route.reason if stage.route else None,
            extracted_answer=stated(stage.extraction),
            parts=None,
            fraction_correct=0.0,
            detail=stage.detail,
            blame=blame_for(stage.status, stage.reason),
        )
    decision = decisions[stage.key]
    status = Status.SCORED if decision.verdict is not None else Status.UNSCORABLE
    parts = None
    if decision.part_verdicts is not None:
        answers: list[str | None] = (
            [part.candidates[-1] for part in stage.parts]
            if isinstance(stage, SymbolicWork)
            else [None] * len(decision.part_verdicts)
        )
        parts = tuple(zip(decision.part_verdicts, answers, strict=True))
    return ResultRecord(
        status=status,
        verdict=decision.verdict,
        reason=decision.reason,
        route=stage.route.route,
        route_reason=stage.route.reason,
        extracted_answer=stated(stage.extraction),
        parts=parts,
        fraction_correct=decision.fraction_correct,
        detail=None,
        blame=blame_for(status, decision.reason, decision.blame),
    )
