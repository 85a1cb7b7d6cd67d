"""The core: a batch of requests in, one result per request out, same order.

Every front door and the offline CLI call :meth:`RewardService.score_batch`. For a batch:

1. admission: the batch limit, backpressure (``max_in_flight``), draining;
2. the plan of every request (``pipeline/prepare.py``), off the event loop: its request-level
   key and, from its answer span, the work it needs and that work's answer-level key;
3. one cache lookup (one round trip) for all those keys: identical requests seen before are
   answered from their stored result;
4. the filters (format tags, repetition) for the rest, off the event loop and over threads;
5. the work the answer-level cache did not know: each distinct (gold, answer) comparison once
   in the worker pool, each distinct judge question once, under the call's deadline;
6. one cache store for everything decided; results, with the reward from the reward table.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

from reward_service import __version__
from reward_service.cache import CacheBackend, ScoreCache, build_cache
from reward_service.cache.records import ResultRecord
from reward_service.cache.store import Found
from reward_service.errors import ErrorCode, ServiceError
from reward_service.metrics import Metrics
from reward_service.pipeline.prepare import (
    JudgeWork,
    Pair,
    Plan,
    Planner,
    Prepared,
    Stage,
    SymbolicWork,
    decide,
    pairs,
    stated,
)
from reward_service.settings import Settings
from reward_service.types import (
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
        self.metrics.watch_pool(self.verifier.restart_counts)
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
        self._quarantine = Quarantine(settings.symbolic.quarantine_s, 10_000)
        self.in_flight = 0
        self.draining = False
        self._idle = asyncio.Event()
        self._idle.set()

    async def warm_up(self) -> None:
        """Run one comparison through the worker pool, so workers are up before traffic."""
        await self.verifier.check("1", "1.0")

    def begin_drain(self) -> None:
        """Refuse new calls (``shutting_down``); calls already admitted run to the end."""
        self.draining = True

    async def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no call is in flight; False if ``timeout_s`` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

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
        settings = self.settings
        if self.draining:
            raise ServiceError(ErrorCode.SHUTTING_DOWN, "the service is shutting down")
        self.check_batch_size(len(requests))
        if self.in_flight and self.in_flight + len(requests) > settings.max_in_flight:
            raise ServiceError(
                ErrorCode.OVERLOADED,
                f"{self.in_flight} responses in flight; the limit is {settings.max_in_flight}",
            )
        budget = min(timeout_s or settings.default_timeout_s, settings.max_timeout_s)
        self._admit(len(requests))
        try:
            return await self._score_admitted(requests, time.monotonic() + budget)
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
        self._idle.clear()
        self.metrics.in_flight.set(self.in_flight)

    def _release(self, count: int) -> None:
        self.in_flight -= count
        self.metrics.in_flight.set(self.in_flight)
        if self.in_flight == 0:
            self._idle.set()

    async def _score_admitted(
        self, requests: Sequence[ScoreRequest], deadline: float
    ) -> list[ScoreResult]:
        started = time.perf_counter()
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
        cached = [record is not None for record in records]
        todo = [i for i, record in enumerate(records) if record is None]
        if todo:
            fresh = await self._run_pipeline(
                [(requests[i], plans[i]) for i in todo], found, deadline
            )
            for i, (record, from_cache) in zip(todo, fresh, strict=True):
                records[i] = record
                cached[i] = from_cache
        elapsed_ms = (time.perf_counter() - started) * 1000
        results = [
            self._result(request, record, from_cache, elapsed_ms)
            for request, record, from_cache in zip(requests, _filled(records), cached, strict=True)
        ]
        for (status, reason), count in Counter((r.status, r.reason) for r in results).items():
            self.metrics.results.labels(status.value, reason.value).inc(count)
        for route, count in Counter(r.route for r in results).items():
            self.metrics.routes.labels(route.value).inc(count)
        return results

    async def _run_pipeline(
        self, planned: list[tuple[ScoreRequest, Plan]], found: Found, deadline: float
    ) -> list[tuple[ResultRecord, bool]]:
        """Records for requests the request-level cache did not know, each with whether its
        verdict came from the answer-level cache (already looked up in ``found``); stores what
        was decided."""
        stage = self.metrics.stage_seconds
        with stage.labels("filter").time():
            # CPU-bound (zlib over long responses): off the event loop, so health checks and
            # other calls stay responsive while a big batch is filtered, and split over
            # threads — zlib releases the GIL, so the cores share the filtering.
            parts = await asyncio.gather(
                *(
                    asyncio.to_thread(self._settle_all, chunk)
                    for chunk in _split(planned, _FILTER_THREADS)
                )
            )
            staged = [stage for part in parts for stage in part]
        work = {s.key: s for s in staged if isinstance(s, SymbolicWork | JudgeWork)}
        decisions = found.decisions(work)
        from_cache = set(decisions)
        symbolic = [
            w for k, w in work.items() if k not in decisions and isinstance(w, SymbolicWork)
        ]
        judged = [w for k, w in work.items() if k not in decisions and isinstance(w, JudgeWork)]
        with stage.labels("verify").time():
            outcomes, judge_decisions = await asyncio.gather(
                self._compare({p for w in symbolic for p in pairs(w)}, deadline),
                self._ask_judge(judged, deadline),
            )
        fresh = {w.key: decide(w, outcomes) for w in symbolic} | judge_decisions
        decisions.update(fresh)
        records = [_record(s, decisions) for s in staged]
        stored = {
            plan.key: record
            for (_, plan), record in zip(planned, records, strict=True)
            if plan.key is not None
        }
        with stage.labels("cache_store").time():
            await self.cache.store(fresh, stored)
        return [
            (record, isinstance(s, SymbolicWork | JudgeWork) and s.key in from_cache)
            for record, s in zip(records, staged, strict=True)
        ]

    async def _ask_judge(self, work: list[JudgeWork], deadline: float) -> dict[str, Decision]:
        """One judge decision per distinct key; past ``deadline`` undecided (timeout)."""
        if not work or self.judge is None:
            return {}
        judge = self.judge
        tasks = {w.key: asyncio.ensure_future(judge.decide(w.item, deadline)) for w in work}
        _, late = await asyncio.wait(tasks.values(), timeout=deadline - time.monotonic())
        for task in late:
            task.cancel()
        return {
            key: Decision(None, Reason.TIMEOUT) if task in late else task.result()
            for key, task in tasks.items()
        }

    def _settle_all(self, planned: list[tuple[ScoreRequest, Plan]]) -> list[Stage]:
        return [self._planner.settle(request, plan) for request, plan in planned]

    async def _compare(self, pairs: set[Pair], deadline: float) -> dict[Pair, Outcome]:
        """Each distinct (gold, candidate) comparison once; identical text needs no worker.
        Comparisons still running at ``deadline`` are cancelled and count as timeouts."""
        outcomes = {pair: Outcome.EQUAL for pair in pairs if pair[0] == pair[1]}
        outcomes.update({p: Outcome.TIMEOUT for p in pairs if self._quarantine.holds(p)})
        tasks = {
            pair: asyncio.ensure_future(self.verifier.check(*pair))
            for pair in pairs
            if pair not in outcomes
        }
        if tasks:
            _, late = await asyncio.wait(tasks.values(), timeout=deadline - time.monotonic())
            for task in late:
                task.cancel()
            for pair, task in tasks.items():
                outcomes[pair] = Outcome.TIMEOUT if task in late else task.result()
                if task not in late and outcomes[pair] is Outcome.TIMEOUT:
                    self._quarantine.add(pair)  # the worker's own deadline, not the call's
        return outcomes

    def _result(
        self, request: ScoreRequest, record: ResultRecord, cached: bool, elapsed_ms: float
    ) -> ScoreResult:
        reward = self.settings.rewards.reward(
            record.status, record.verdict, record.fraction_correct
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
            },
        )

    def close(self) -> None:
        """Stop the verifier workers (the in-process cache needs nothing more)."""
        self.verifier.close()

    async def aclose(self) -> None:
        """Stop the workers and close the cache's and the judge's connections."""
        self.verifier.close()
        await self.cache.aclose()
        if self.judge is not None:
            await self.judge.aclose()


_FILTER_THREADS = max(1, os.cpu_count() or 1)
T = TypeVar("T")


def _split(items: list[T], parts: int) -> list[list[T]]:
    """``items`` in at most ``parts`` contiguous, nearly equal pieces (order kept)."""
    size = -(-len(items) // parts) or 1
    return [items[i : i + size] for i in range(0, len(items), size)]


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
        )
    decision = decisions[stage.key]
    parts = None
    if decision.part_verdicts is not None:
        answers: list[str | None] = (
            [part.candidates[-1] for part in stage.parts]
            if isinstance(stage, SymbolicWork)
            else [None] * len(decision.part_verdicts)
        )
        parts = tuple(zip(decision.part_verdicts, answers, strict=True))
    return ResultRecord(
        status=Status.SCORED if decision.verdict is not None else Status.UNSCORABLE,
        verdict=decision.verdict,
        reason=decision.reason,
        route=stage.route.route,
        route_reason=stage.route.reason,
        extracted_answer=stated(stage.extraction),
        parts=parts,
        fraction_correct=decision.fraction_correct,
        detail=None,
    )
