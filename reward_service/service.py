"""The core: a batch of requests in, one result per request out, same order.

Every front door and the offline CLI call :meth:`RewardService.score_batch`. Per request:
limits → spans (format filter) → repetition filter → answer extraction → route; then, for the
whole batch at once: one cache lookup, each distinct piece of verification work done once,
one cache store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from reward_service import __version__
from reward_service.cache.base import Cache
from reward_service.cache.keys import symbolic_key
from reward_service.cache.memory import MemoryCache
from reward_service.errors import ErrorCode, ServiceError
from reward_service.metrics import Metrics
from reward_service.pipeline.extraction import (
    Extraction,
    Source,
    extract_answer,
    split_parts,
)
from reward_service.pipeline.normalize import canonical_answer
from reward_service.pipeline.repetition import is_repetitive
from reward_service.pipeline.routing import RouteDecision, decide_route
from reward_service.pipeline.spans import Spans, split_spans
from reward_service.settings import Settings
from reward_service.types import (
    GoldParts,
    PartResult,
    Provenance,
    Reason,
    Route,
    ScoreRequest,
    ScoreResult,
    Status,
    Verdict,
)
from reward_service.verdicts import Decision, combine_parts, decide_part
from reward_service.verifiers.outcome import Outcome
from reward_service.verifiers.symbolic import SymbolicVerifier, verifier_versions

Pair = tuple[str, str]
log = logging.getLogger(__name__)


class Part(NamedTuple):
    """The symbolic work for one blank."""

    golds: tuple[str, ...]
    """Accepted canonical golds."""
    candidates: tuple[str, ...]
    """Canonical candidate answers (several: a list answer or hedging)."""
    joined: str | None
    """The candidates read as one list answer, when they were written as one."""

    def answers(self) -> tuple[str, ...]:
        return (*self.candidates, self.joined) if self.joined is not None else self.candidates


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the pre-verification stages decided on their own."""

    status: Status
    reason: Reason
    verdict: Verdict | None = None
    route: RouteDecision | None = None
    extraction: Extraction | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class _SymbolicWork:
    """A request that needs the symbolic verifier."""

    route: RouteDecision
    extraction: Extraction
    parts: tuple[Part, ...]
    key: str


class RewardService:
    """Scores batches of requests. Owns the verifier pool; call :meth:`close` when done.

    Shared by every front door: it enforces the batch limit, backpressure (``max_in_flight``),
    deadlines and draining, and records the metrics, so the doors only convert formats.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        verifier: SymbolicVerifier | None = None,
        cache: Cache | None = None,
    ) -> None:
        self.settings = settings
        self.verifier = verifier if verifier is not None else SymbolicVerifier(settings.symbolic)
        self.cache: Cache = cache if cache is not None else MemoryCache(settings.cache_size)
        versions = verifier_versions()
        s = settings.symbolic
        self._verifier_tag = json.dumps(
            [versions, s.float_rounding, s.numeric_precision, s.strict], sort_keys=True
        )
        self.provenance = Provenance(
            service_version=__version__,
            verifier_versions=versions,
            judge_model=None,
            config_hash=settings.config_hash(),
        )
        self.metrics = Metrics()
        self.metrics.watch_pool(self.verifier.restart_counts)
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
        if len(requests) > settings.max_batch_size:
            raise ServiceError(
                ErrorCode.BATCH_TOO_LARGE,
                f"{len(requests)} requests in one batch; the limit is {settings.max_batch_size}",
            )
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
        with stage.labels("prepare").time():
            # CPU-bound (regexes, zlib over long responses): off the event loop, so health
            # checks and other calls stay responsive while a big batch is filtered.
            staged = await asyncio.to_thread(
                lambda: [self._prepare_safely(request) for request in requests]
            )
        work = {s.key: s for s in staged if isinstance(s, _SymbolicWork)}
        keys = list(work)
        decisions: dict[str, Decision] = {}
        cached_keys: set[str] = set()
        with stage.labels("cache_lookup").time():
            hits = await self.cache.get_many(keys)
        for key, hit in zip(keys, hits, strict=True):
            if hit is not None:
                decisions[key] = hit
                cached_keys.add(key)
        self.metrics.cache_lookups.labels("hit").inc(len(cached_keys))
        self.metrics.cache_lookups.labels("miss").inc(len(keys) - len(cached_keys))
        missing = [work[k] for k in keys if k not in decisions]
        if missing:
            with stage.labels("verify").time():
                pairs = {pair for w in missing for pair in _pairs(w)}
                outcomes = await self._compare(pairs, deadline)
            fresh = {w.key: _decide(w, outcomes) for w in missing}
            decisions.update(fresh)
            with stage.labels("cache_store").time():
                await self.cache.set_many({k: d for k, d in fresh.items() if d.verdict is not None})
        elapsed_ms = (time.perf_counter() - started) * 1000
        results = [
            self._result(request, stage, decisions, cached_keys, elapsed_ms)
            for request, stage in zip(requests, staged, strict=True)
        ]
        for result in results:
            self.metrics.results.labels(result.status.value, result.reason.value).inc()
            self.metrics.routes.labels(result.route.value).inc()
        return results

    def close(self) -> None:
        """Stop the verifier workers."""
        self.verifier.close()

    # -- per-request stages -------------------------------------------------------------------

    def _prepare_safely(self, request: ScoreRequest) -> _Outcome | _SymbolicWork:
        """A bug in a stage costs its own request (``unscorable/internal_error``), never the
        batch. The log names the exception, not the (untrusted, possibly huge) response."""
        try:
            return self._prepare(request)
        except Exception as error:
            log.exception("internal error preparing request id=%r", request.id)
            return _Outcome(
                Status.UNSCORABLE,
                Reason.INTERNAL_ERROR,
                detail=f"internal error: {type(error).__name__}",
            )

    def _prepare(self, request: ScoreRequest) -> _Outcome | _SymbolicWork:
        settings = self.settings
        response = request.response
        if len(response) > settings.max_response_bytes or (
            len(response) * 4 > settings.max_response_bytes
            and len(response.encode("utf-8", errors="surrogatepass")) > settings.max_response_bytes
        ):
            return _Outcome(
                Status.UNSCORABLE,
                Reason.TOO_LARGE,
                detail=f"response exceeds {settings.max_response_bytes} bytes",
            )
        spans = split_spans(response, request.template, request.think_in_prompt)
        if not isinstance(spans, Spans):
            return _Outcome(Status.FILTERED, spans)
        if is_repetitive(spans.thinking, settings.repetition):
            return _Outcome(Status.FILTERED, Reason.REPETITION_THINKING)
        if is_repetitive(spans.answer, settings.repetition):
            return _Outcome(Status.FILTERED, Reason.REPETITION_ANSWER)
        golds = _canonical_golds(request.gold)
        if isinstance(golds, str):
            return _Outcome(Status.UNSCORABLE, Reason.INVALID_GOLD, detail=golds)
        route = decide_route(request, golds, settings.routing_rules)
        extraction = extract_answer(spans.answer, request.problem)
        if route.route is Route.JUDGE:
            return _Outcome(
                Status.UNSCORABLE,
                Reason.JUDGE_NOT_CONFIGURED,
                route=route,
                extraction=extraction,
                detail="judge-routed request and no judge is configured",
            )
        return self._symbolic_work(golds, route, extraction)

    def _symbolic_work(
        self,
        golds: tuple[tuple[str, ...], ...],
        route: RouteDecision,
        extraction: Extraction | None,
    ) -> _Outcome | _SymbolicWork:
        settings = self.settings

        def scored_incorrect(reason: Reason, detail: str | None = None) -> _Outcome:
            return _Outcome(Status.SCORED, reason, Verdict.INCORRECT, route, extraction, detail)

        if extraction is None:
            return scored_incorrect(Reason.ANSWER_MISSING, "no boxed, anchored or bare answer")
        candidates = extraction.candidates
        if len(candidates) > settings.max_candidates:
            return scored_incorrect(Reason.ANSWER_HEDGED, f"{len(candidates)} distinct answers")
        if any(len(a) > settings.max_answer_chars for a in (*candidates, extraction.joined or "")):
            return _Outcome(
                Status.UNSCORABLE,
                Reason.TOO_LARGE,
                route=route,
                extraction=extraction,
                detail=f"answer exceeds {settings.max_answer_chars} characters",
            )
        parts = _parts(golds, extraction)
        if parts is None:
            return scored_incorrect(
                Reason.ANSWER_PARTS_MISMATCH,
                f"{len(golds)} parts expected, answer has {len(candidates)}",
            )
        return _SymbolicWork(route, extraction, parts, symbolic_key(parts, self._verifier_tag))

    async def _compare(self, pairs: set[Pair], deadline: float) -> dict[Pair, Outcome]:
        """Each distinct (gold, candidate) comparison once; identical text needs no worker.
        Comparisons still running at ``deadline`` are cancelled and count as timeouts."""
        outcomes = {pair: Outcome.EQUAL for pair in pairs if pair[0] == pair[1]}
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
        return outcomes

    def _result(
        self,
        request: ScoreRequest,
        stage: _Outcome | _SymbolicWork,
        decisions: dict[str, Decision],
        cached_keys: set[str],
        elapsed_ms: float,
    ) -> ScoreResult:
        rewards = self.settings.rewards
        if isinstance(stage, _Outcome):
            return ScoreResult(
                id=request.id,
                status=stage.status,
                verdict=stage.verdict,
                reason=stage.reason,
                reward=rewards.reward(stage.status, stage.verdict),
                route=stage.route.route if stage.route else Route.NONE,
                route_reason=stage.route.reason if stage.route else None,
                extracted_answer=_stated(stage.extraction),
                elapsed_ms=elapsed_ms,
                detail=stage.detail,
                provenance=self.provenance,
            )
        decision = decisions[stage.key]
        status = Status.SCORED if decision.verdict is not None else Status.UNSCORABLE
        parts = None
        if decision.part_verdicts is not None:
            parts = [
                PartResult(index=i, verdict=verdict, extracted_answer=part.candidates[-1])
                for i, (verdict, part) in enumerate(
                    zip(decision.part_verdicts, stage.parts, strict=True)
                )
            ]
        return ScoreResult(
            id=request.id,
            status=status,
            verdict=decision.verdict,
            reason=decision.reason,
            reward=rewards.reward(status, decision.verdict, decision.fraction_correct),
            route=stage.route.route,
            route_reason=stage.route.reason,
            extracted_answer=_stated(stage.extraction),
            parts=parts,
            cached=stage.key in cached_keys,
            elapsed_ms=elapsed_ms,
            provenance=self.provenance,
        )


def _canonical_golds(gold: str | list[str] | GoldParts) -> tuple[tuple[str, ...], ...] | str:
    """Accepted canonical golds per part, or why the gold cannot be used."""
    if isinstance(gold, GoldParts):
        raw_parts = [[p] if isinstance(p, str) else p for p in gold.parts]
    else:
        raw_parts = [[gold] if isinstance(gold, str) else gold]
    parts = []
    for alternatives in raw_parts:
        canonical = []
        for alternative in alternatives:
            extraction = extract_answer(alternative) if "box" in alternative else None
            if extraction is not None and extraction.source is Source.BOXED:
                # A gold written as a solution counts by what it boxes. Several boxes count as
                # one list only when written as one; otherwise the gold is ambiguous.
                if len(extraction.candidates) == 1:
                    canonical.append(extraction.final)
                elif extraction.joined is not None:
                    canonical.append(extraction.joined)
                else:
                    return "gold has several boxed answers that do not form one list"
            else:
                canonical.append(canonical_answer(alternative))
        accepted = tuple(dict.fromkeys(c for c in canonical if c))
        if not accepted:
            return "gold answer is empty"
        parts.append(accepted)
    return tuple(parts)


def _parts(golds: tuple[tuple[str, ...], ...], extraction: Extraction) -> tuple[Part, ...] | None:
    """Pair each blank's golds with its candidates: one blank takes every candidate; several
    blanks take one box each, or the pieces of a single answer split at ``;`` or ``,``."""
    candidates = extraction.candidates
    if len(golds) == 1:
        return (Part(golds[0], candidates, extraction.joined),)
    if len(candidates) == len(golds):
        per_part: tuple[str, ...] | None = candidates
    elif len(candidates) == 1:
        per_part = split_parts(candidates[0], len(golds))
    else:
        per_part = None
    if per_part is None:
        return None
    return tuple(Part(g, (c,), None) for g, c in zip(golds, per_part, strict=True))


def _pairs(work: _SymbolicWork) -> set[Pair]:
    return {(g, a) for part in work.parts for g in part.golds for a in part.answers()}


def _decide(work: _SymbolicWork, outcomes: dict[Pair, Outcome]) -> Decision:
    def lookup(gold: str, candidate: str) -> Outcome:
        return outcomes[(gold, candidate)]

    return combine_parts(
        [decide_part(part.golds, part.candidates, lookup, part.joined) for part in work.parts]
    )


def _stated(extraction: Extraction | None) -> str | None:
    """The answer as the response stated it: the list when boxes form one, else the last."""
    if extraction is None:
        return None
    return extraction.joined or extraction.final
