"""The core: a batch of requests in, one result per request out, same order.

Every front door and the offline CLI call :meth:`RewardService.score_batch`. Per request:
limits → spans (format filter) → repetition filter → answer extraction → route; then, for the
whole batch at once: one cache lookup, each distinct piece of verification work done once,
one cache store.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from reward_service import __version__
from reward_service.cache.base import Cache
from reward_service.cache.keys import symbolic_key
from reward_service.cache.memory import MemoryCache
from reward_service.pipeline.extraction import Extraction, extract_answer, split_parts
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

Part = tuple[tuple[str, ...], tuple[str, ...]]
"""(accepted canonical golds, canonical candidates) for one blank."""
Pair = tuple[str, str]


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
    """Scores batches of requests. Owns the verifier pool; call :meth:`close` when done."""

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

    async def score(self, request: ScoreRequest) -> ScoreResult:
        """Score one request."""
        return (await self.score_batch([request]))[0]

    async def score_batch(self, requests: Sequence[ScoreRequest]) -> list[ScoreResult]:
        """Score a batch; results are in request order, one per request. Never raises for a
        bad request: its problem is in the result's status and reason."""
        started = time.perf_counter()
        staged = [self._prepare(request) for request in requests]
        work = {s.key: s for s in staged if isinstance(s, _SymbolicWork)}
        keys = list(work)
        decisions: dict[str, Decision] = {}
        cached_keys: set[str] = set()
        for key, hit in zip(keys, await self.cache.get_many(keys), strict=True):
            if hit is not None:
                decisions[key] = hit
                cached_keys.add(key)
        missing = [work[k] for k in keys if k not in decisions]
        if missing:
            outcomes = await self._compare({pair for w in missing for pair in _pairs(w)})
            fresh = {w.key: _decide(w, outcomes) for w in missing}
            decisions.update(fresh)
            await self.cache.set_many({k: d for k, d in fresh.items() if d.verdict is not None})
        elapsed_ms = (time.perf_counter() - started) * 1000
        return [
            self._result(request, stage, decisions, cached_keys, elapsed_ms)
            for request, stage in zip(requests, staged, strict=True)
        ]

    def close(self) -> None:
        """Stop the verifier workers."""
        self.verifier.close()

    # -- per-request stages -------------------------------------------------------------------

    def _prepare(self, request: ScoreRequest) -> _Outcome | _SymbolicWork:
        settings = self.settings
        response = request.response
        if len(response) > settings.max_response_bytes or (
            len(response) * 4 > settings.max_response_bytes
            and len(response.encode("utf-8", errors="surrogatepass"))
            > settings.max_response_bytes
        ):
            return _Outcome(
                Status.UNSCORABLE, Reason.TOO_LARGE,
                detail=f"response exceeds {settings.max_response_bytes} bytes",
            )
        spans = split_spans(response, request.template, request.think_in_prompt)
        if not isinstance(spans, Spans):
            return _Outcome(Status.FILTERED, spans)
        if is_repetitive(spans.thinking, settings.repetition):
            return _Outcome(Status.FILTERED, Reason.REPETITION_THINKING)
        if is_repetitive(spans.answer, settings.repetition):
            return _Outcome(Status.FILTERED, Reason.REPETITION_ANSWER)
        route = decide_route(request, settings.routing_rules)
        extraction = extract_answer(spans.answer)
        if route.route is Route.JUDGE:
            return _Outcome(
                Status.UNSCORABLE, Reason.JUDGE_NOT_CONFIGURED, route=route, extraction=extraction,
                detail="judge-routed request and no judge is configured",
            )
        return self._symbolic_work(request, route, extraction)

    def _symbolic_work(
        self, request: ScoreRequest, route: RouteDecision, extraction: Extraction | None
    ) -> _Outcome | _SymbolicWork:
        settings = self.settings
        golds = _canonical_golds(request.gold)
        if golds is None:
            return _Outcome(Status.UNSCORABLE, Reason.INVALID_GOLD, route=route,
                            extraction=extraction, detail="gold answer is empty")

        def scored_incorrect(reason: Reason, detail: str | None = None) -> _Outcome:
            return _Outcome(Status.SCORED, reason, Verdict.INCORRECT, route, extraction, detail)

        if extraction is None:
            return scored_incorrect(Reason.ANSWER_MISSING, "no boxed, anchored or bare answer")
        candidates = extraction.candidates
        if len(candidates) > settings.max_candidates:
            return scored_incorrect(Reason.ANSWER_HEDGED, f"{len(candidates)} distinct answers")
        if any(len(c) > settings.max_answer_chars for c in candidates):
            return _Outcome(Status.UNSCORABLE, Reason.TOO_LARGE, route=route,
                            extraction=extraction,
                            detail=f"answer exceeds {settings.max_answer_chars} characters")
        per_part = _candidates_per_part(candidates, len(golds))
        if per_part is None:
            return scored_incorrect(
                Reason.ANSWER_PARTS_MISMATCH,
                f"{len(golds)} parts expected, answer has {len(candidates)}",
            )
        parts = tuple(zip(golds, per_part, strict=True))
        return _SymbolicWork(route, extraction, parts, symbolic_key(parts, self._verifier_tag))

    async def _compare(self, pairs: set[Pair]) -> dict[Pair, Outcome]:
        """Each distinct (gold, candidate) comparison once; identical text needs no worker."""
        outcomes = {pair: Outcome.EQUAL for pair in pairs if pair[0] == pair[1]}
        todo = [pair for pair in pairs if pair not in outcomes]
        checked = await asyncio.gather(*(self.verifier.check(g, c) for g, c in todo))
        outcomes.update(zip(todo, checked, strict=True))
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
                extracted_answer=stage.extraction.final if stage.extraction else None,
                elapsed_ms=elapsed_ms,
                detail=stage.detail,
                provenance=self.provenance,
            )
        decision = decisions[stage.key]
        status = Status.SCORED if decision.verdict is not None else Status.UNSCORABLE
        parts = None
        if decision.part_verdicts is not None:
            parts = [
                PartResult(index=i, verdict=verdict, extracted_answer=candidates[-1])
                for i, (verdict, (_, candidates)) in enumerate(
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
            extracted_answer=stage.extraction.final,
            parts=parts,
            cached=stage.key in cached_keys,
            elapsed_ms=elapsed_ms,
            provenance=self.provenance,
        )


def _canonical_golds(gold: str | list[str] | GoldParts) -> tuple[tuple[str, ...], ...] | None:
    """Accepted canonical golds per part; None if any part has no non-empty gold."""
    if isinstance(gold, GoldParts):
        raw_parts = [[p] if isinstance(p, str) else p for p in gold.parts]
    else:
        raw_parts = [[gold] if isinstance(gold, str) else gold]
    parts = []
    for alternatives in raw_parts:
        canonical = tuple(dict.fromkeys(c for c in map(_canonical_gold, alternatives) if c))
        if not canonical:
            return None
        parts.append(canonical)
    return tuple(parts)


def _canonical_gold(gold: str) -> str:
    """A gold written as a full answer (``\\boxed{7}``, ``$7$``) is reduced to ``7``."""
    extraction = extract_answer(gold) if "\\boxed" in gold or "\\fbox" in gold else None
    if extraction is not None and len(extraction.candidates) == 1:
        return extraction.final
    return canonical_answer(gold)


def _candidates_per_part(
    candidates: tuple[str, ...], count: int
) -> tuple[tuple[str, ...], ...] | None:
    if count == 1:
        return (candidates,)
    if len(candidates) == count:
        return tuple((c,) for c in candidates)
    if len(candidates) == 1:
        pieces = split_parts(candidates[0], count)
        return tuple((p,) for p in pieces) if pieces is not None else None
    return None


def _pairs(work: _SymbolicWork) -> set[Pair]:
    return {(g, c) for golds, candidates in work.parts for g in golds for c in candidates}


def _decide(work: _SymbolicWork, outcomes: dict[Pair, Outcome]) -> Decision:
    def lookup(gold: str, candidate: str) -> Outcome:
        return outcomes[(gold, candidate)]

    return combine_parts([decide_part(golds, cands, lookup) for golds, cands in work.parts])
