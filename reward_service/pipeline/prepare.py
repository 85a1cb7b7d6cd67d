"""The per-request pipeline, in two phases. Pure CPU work with no I/O: the service runs it off
the event loop.

Plan (every request; cheap, since it reads the answer span and not the thinking): size limit →
where the spans are (``locate_spans``) → request-level key → repetition in the answer span →
gold canonicalisation → route → answer extraction → the work to do, if any, and its
answer-level key. That is every key the batch's one cache lookup needs.

Filters (only requests the request-level cache did not answer): the format filter's tag
counts, then the repetition filter on the thinking span. A response they reject is filtered
whatever its plan says, so reasons keep the pipeline's precedence: too large → format →
repetition (thinking, answer) → invalid gold → route → extraction → verdict.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from reward_service.cache.keys import RequestKeys, judge_key, symbolic_key
from reward_service.pipeline.blanks import numbered_blanks, ordered_blanks, says_order, split_parts
from reward_service.pipeline.cascade import (
    cascade_route,
    cascades_after,
    cascades_before,
    may_cascade,
)
from reward_service.pipeline.choice import choice_gold, decide_choice
from reward_service.pipeline.extraction import (
    Extraction,
    Source,
    choice_answer,
    extract_answer,
    list_answer,
    listed_boxes,
    split_list,
)
from reward_service.pipeline.normalize import canonical_answer, is_prose
from reward_service.pipeline.repetition import is_repetitive
from reward_service.pipeline.routing import RouteDecision, decide_route
from reward_service.pipeline.spans import Layout, check_tags, locate_spans, opened_in_prompt
from reward_service.settings import RepetitionSettings, Settings
from reward_service.types import (
    GoldParts,
    Reason,
    Route,
    ScoreRequest,
    Status,
    Template,
    Verdict,
    gold_identity,
)
from reward_service.verdicts import Decision, combine_parts, decide_part
from reward_service.verifiers.judge import Judge, JudgeItem
from reward_service.verifiers.judge.prompt import reference_text
from reward_service.verifiers.outcome import Outcome

Pair = tuple[str, str]
Golds = tuple[tuple[str, ...], ...]
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
class Prepared:
    """A request the pipeline decided on its own (filtered, unscorable, or incorrect before
    any comparison)."""

    status: Status
    reason: Reason
    verdict: Verdict | None = None
    route: RouteDecision | None = None
    extraction: Extraction | None = None
    detail: str | None = None


class JudgeQuestion(NamedTuple):
    """What the judge is asked about one request, and the key of its decision."""

    item: JudgeItem
    key: str


@dataclass(frozen=True, slots=True)
class JudgeWork:
    """A request for the LLM judge."""

    route: RouteDecision
    extraction: Extraction | None
    item: JudgeItem
    key: str


@dataclass(frozen=True, slots=True)
class SymbolicWork:
    """A request that needs the symbolic verifier."""

    route: RouteDecision
    extraction: Extraction
    parts: tuple[Part, ...]
    key: str
    fallback: JudgeQuestion | None = None
    """The judge question to ask if the verifier cannot decide (``pipeline/cascade.py``);
    None when the cascade is off or does not apply."""


Stage = Prepared | SymbolicWork | JudgeWork


@dataclass(frozen=True, slots=True)
class Plan:
    """What the pipeline knows about a request before the cache lookup."""

    key: str | None
    """The request-level cache key; None for a result that is never cached (too large, or a
    bug while planning)."""
    outcome: Stage
    """With ``layout``: the decision for a response the filters pass. Without: the decision."""
    layout: Layout | None = None
    """Where the spans are, for the filters; None when the plan alone decided."""


class FilterInput(NamedTuple):
    """What the filters read of one response (plain values: it may go to another process)."""

    response: str
    template: Template
    think_in_prompt: bool
    thinking: slice
    """Where the thinking span is in ``response``."""


FilterVerdict = Reason | None | Exception
"""The filters' reason for rejecting a response, None when they pass it, or the exception a
filter raised on it."""


def filter_verdict(item: FilterInput, repetition: RepetitionSettings) -> FilterVerdict:
    """The format filter's tag counts, then the repetition filter on the thinking span."""
    try:
        reason = check_tags(item.response, item.template, item.think_in_prompt)
        if reason is None and is_repetitive(item.response[item.thinking], repetition):
            reason = Reason.REPETITION_THINKING
    except Exception as error:
        log.exception("filter failed")
        return error
    return reason


@dataclass(slots=True)
class _Shared:
    """What the requests of one batch share, worked out once per distinct input."""

    keys: RequestKeys
    golds: dict[Hashable, Golds | str] = field(default_factory=dict)
    routes: dict[Hashable, RouteDecision] = field(default_factory=dict)
    outcomes: dict[Hashable, Stage] = field(default_factory=dict)
    """By gold, data source, route hint, problem and answer span."""


class Planner:
    """Runs the pipeline's two phases with the service's settings."""

    def __init__(
        self, settings: Settings, verifier_tag: str, config_tag: str, judge: Judge | None
    ) -> None:
        self.settings = settings
        self._verifier_tag = verifier_tag
        self._config_tag = config_tag
        self._judge = judge
        self._shows_thinking = judge is not None and judge.spec.send_thinking
        self._cascade_to = judge if settings.judge.cascade else None

    def plan(self, requests: Sequence[ScoreRequest]) -> list[Plan]:
        """One plan per request, in order. Work that depends on the fields other than the
        response (key headers, canonical golds, routes) is done once per distinct value in the
        batch, and extraction and the work it leads to once per distinct answer span."""
        shared = _Shared(RequestKeys(self._config_tag))
        plans = []
        for request in requests:
            try:
                plans.append(self._plan(request, shared))
            except Exception as error:
                plans.append(Plan(None, _internal_error(request, error)))
        return plans

    def filter_input(self, request: ScoreRequest, plan: Plan) -> FilterInput | None:
        """What the filters read of a planned request; None when its plan alone decided."""
        if plan.layout is None:
            return None
        in_prompt = opened_in_prompt(request.response, request.think_in_prompt)
        return FilterInput(request.response, request.template, in_prompt, plan.layout.thinking)

    def settled(self, request: ScoreRequest, plan: Plan, verdict: FilterVerdict) -> Stage:
        """The decision for a planned request given the filters' ``verdict`` on its
        :meth:`filter_input`: theirs when they reject it, else the plan's. A bug in a filter
        (an exception as the verdict) costs its own request (``unscorable/internal_error``),
        never the batch."""
        if isinstance(verdict, Exception):
            return _internal_error(request, verdict)
        if verdict is not None:
            return Prepared(Status.FILTERED, verdict)
        return plan.outcome

    def _plan(self, request: ScoreRequest, shared: _Shared) -> Plan:
        settings = self.settings
        response = request.response
        utf8 = None
        if len(response) <= settings.max_response_bytes:
            utf8 = response.encode("utf-8", errors="surrogatepass")
        if utf8 is None or len(utf8) > settings.max_response_bytes:
            return Plan(
                None,
                Prepared(
                    Status.UNSCORABLE,
                    Reason.TOO_LARGE,
                    detail=f"response exceeds {settings.max_response_bytes} bytes",
                ),
            )
        key = shared.keys.key(request, utf8)
        if request.truncated:  # cut at the length limit: any format verdict would be about that
            return Plan(key, Prepared(Status.FILTERED, Reason.FORMAT_TRUNCATED))
        template = request.template
        in_prompt = opened_in_prompt(response, request.think_in_prompt)
        layout = locate_spans(response, template, in_prompt)
        if isinstance(layout, Reason):  # rejected; the tag counts may give an earlier reason
            reason = check_tags(response, template, in_prompt) or layout
            return Plan(key, Prepared(Status.FILTERED, reason))
        try:
            outcome = self._outcome(request, layout, shared)
        except Exception as error:
            outcome = _internal_error(request, error)
        return Plan(key, outcome, layout)

    def _outcome(self, request: ScoreRequest, layout: Layout, shared: _Shared) -> Stage:
        """The decision for a response the filters pass: once per distinct gold, data source,
        route hint, problem and answer span in the batch (judge work shown the thinking span
        depends on it too, and is not shared)."""
        gold = gold_identity(request.gold)
        answered = (gold, request.data_source, request.route, request.problem, layout.answer)
        outcome = shared.outcomes.get(answered)
        if outcome is None:
            outcome = self._decide(request, layout, shared, gold)
            if not (self._shows_thinking and _asks_judge(outcome)):
                shared.outcomes[answered] = outcome
        return outcome

    def _decide(
        self, request: ScoreRequest, layout: Layout, shared: _Shared, gold: Hashable
    ) -> Stage:
        # A degenerate loop in the answer span is filtered whatever else holds, and extracting
        # from it would cost far more than this check (free below a few hundred characters).
        if is_repetitive(layout.answer, self.settings.repetition):
            return Prepared(Status.FILTERED, Reason.REPETITION_ANSWER)
        choice = _choice_stage(request, layout.answer, self.settings.routing_rules)
        if choice is not None:
            return self._cascaded(request, layout, choice)
        golds = shared.golds.get(gold)
        if golds is None:
            golds = shared.golds[gold] = canonical_golds(request.gold)
        if isinstance(golds, str):
            refused = Prepared(Status.UNSCORABLE, Reason.INVALID_GOLD, detail=golds)
            return self._cascaded(request, layout, refused)
        routed = (gold, request.data_source, request.route)
        route = shared.routes.get(routed)
        if route is None:
            rules = self.settings.routing_rules
            route = shared.routes[routed] = decide_route(request, golds, rules)
        thinking = ""
        if self._shows_thinking and route.route is Route.JUDGE:
            thinking = request.response[layout.thinking]
        return self._cascaded(
            request, layout, self._work(request, golds, route, layout.answer, thinking)
        )

    def _cascaded(self, request: ScoreRequest, layout: Layout, stage: Stage) -> Stage:
        """``stage``, or the judge work that replaces or backs it up when the cascade applies
        (``pipeline/cascade.py``)."""
        judge = self._cascade_to
        if judge is None or not may_cascade(request):
            return stage
        if isinstance(stage, Prepared) and cascades_before(stage, layout.answer):
            extraction = stage.extraction
            if extraction is None and stage.reason is Reason.INVALID_GOLD:  # refused first
                extraction = extract_answer(layout.answer, request.problem)
            route = cascade_route(stage.reason)
            return self._judge_work(request, layout, route, extraction, judge)
        if isinstance(stage, SymbolicWork):
            asked = self._judge_work(request, layout, stage.route, stage.extraction, judge)
            return replace(stage, fallback=JudgeQuestion(asked.item, asked.key))
        return stage

    def _work(
        self,
        request: ScoreRequest,
        golds: Golds,
        route: RouteDecision,
        answer: str,
        shown_thinking: str,
    ) -> Stage:
        """What is left to do for an answer span; ``shown_thinking`` is the thinking span when
        the judge is shown it."""
        extraction = extract_answer(answer, request.problem)
        if route.route is Route.JUDGE:
            if self._judge is None:
                return Prepared(
                    Status.UNSCORABLE,
                    Reason.JUDGE_NOT_CONFIGURED,
                    route=route,
                    extraction=extraction,
                    detail="judge-routed request and no judge is configured",
                )
            return _judge_work(request, answer, shown_thinking, route, extraction, self._judge)
        return self._symbolic_work(golds, route, extraction, says_order(request.problem))

    def _judge_work(
        self,
        request: ScoreRequest,
        layout: Layout,
        route: RouteDecision,
        extraction: Extraction | None,
        judge: Judge,
    ) -> JudgeWork:
        """Judge work for a request of this batch, shown its thinking span when the spec
        says so."""
        thinking = request.response[layout.thinking] if self._shows_thinking else ""
        return _judge_work(request, layout.answer, thinking, route, extraction, judge)

    def _symbolic_work(
        self,
        golds: Golds,
        route: RouteDecision,
        extraction: Extraction | None,
        in_order: bool = False,
    ) -> Prepared | SymbolicWork:
        """``in_order``: the problem asks for its answers in order, so a comma list in the
        gold is ordered too."""
        settings = self.settings

        def scored_incorrect(reason: Reason, detail: str | None = None) -> Prepared:
            return Prepared(Status.SCORED, reason, Verdict.INCORRECT, route, extraction, detail)

        if extraction is None:
            return scored_incorrect(Reason.ANSWER_MISSING, "no boxed, anchored or bare answer")
        candidates = extraction.candidates
        if len(candidates) > settings.max_candidates:
            return scored_incorrect(Reason.ANSWER_HEDGED, f"{len(candidates)} distinct answers")
        if any(len(a) > settings.max_answer_chars for a in (*candidates, extraction.joined or "")):
            return Prepared(
                Status.UNSCORABLE,
                Reason.TOO_LARGE,
                route=route,
                extraction=extraction,
                detail=f"answer exceeds {settings.max_answer_chars} characters",
            )
        blanks = _blanks(golds, in_order)
        parts = _parts(blanks, extraction)
        if parts is None:
            return scored_incorrect(
                Reason.ANSWER_PARTS_MISMATCH,
                f"{len(blanks)} parts expected, answer has {len(candidates)}",
            )
        return SymbolicWork(route, extraction, parts, symbolic_key(parts, self._verifier_tag))


def _judge_work(
    request: ScoreRequest,
    answer: str,
    shown_thinking: str,
    route: RouteDecision,
    extraction: Extraction | None,
    judge: Judge,
) -> JudgeWork:
    """The judge question about an answer span; ``shown_thinking`` is the thinking span when
    the judge is shown it."""
    gold = request.gold
    multipart = isinstance(gold, GoldParts)
    parts = len(gold.parts) if isinstance(gold, GoldParts) else 1
    reference = reference_text(gold.parts if isinstance(gold, GoldParts) else gold, multipart)
    response = answer
    if shown_thinking.strip():
        response = f"{shown_thinking.strip()}\n\n{answer}"
    problem = request.problem or "(no problem text was given)"
    final = extraction.final if extraction is not None else ""
    item = JudgeItem(problem, reference, parts, response, final)
    key = judge_key(judge.tag, problem, reference, parts, response)
    return JudgeWork(route, extraction, item, key)


def _choice_stage(request: ScoreRequest, answer: str, rules: Mapping[str, str]) -> Prepared | None:
    """A gold of option letters routed symbolically is decided by letter sets
    (``pipeline/choice.py``), never by symbolic comparison; None for any other gold."""
    gold = request.gold
    alternatives = [gold] if isinstance(gold, str) else gold
    if isinstance(alternatives, GoldParts):
        return None
    letter_golds = [choice_gold(g) for g in alternatives]
    if not letter_golds or any(letters is None for letters in letter_golds):
        return None
    texts = tuple("".join(sorted(letters or ())) for letters in letter_golds)
    route = decide_route(request, (texts,), rules)
    if route.route is not Route.SYMBOLIC:
        return None
    reading = choice_answer(answer)
    decisions = [decide_choice(letters or frozenset(), reading) for letters in letter_golds]
    decision = next((d for d in decisions if d.verdict is Verdict.CORRECT), decisions[-1])
    extraction = None
    if reading is not None:
        extraction = Extraction((reading.text,), Source.CHOICE)
    return Prepared(Status.SCORED, decision.reason, decision.verdict, route, extraction)


def canonical_golds(gold: str | list[str] | GoldParts) -> tuple[tuple[str, ...], ...] | str:
    """Accepted canonical golds per part, or why the gold cannot be used."""
    if isinstance(gold, GoldParts):
        raw_parts = [[p] if isinstance(p, str) else p for p in gold.parts]
    else:
        raw_parts = [[gold] if isinstance(gold, str) else gold]
    parts = []
    for alternatives in raw_parts:
        try:
            canonical = [_canonical_gold(alternative) for alternative in alternatives]
        except ValueError as error:
            return str(error)
        accepted = tuple(dict.fromkeys(c for c in canonical if c))
        if not accepted:
            return "gold answer is empty"
        parts.append(accepted)
    return tuple(parts)


def _canonical_gold(gold: str) -> str:
    """A gold written as a solution counts by what it boxes or states as its final answer
    ("… Final Answer: The final answer is $28\\%$."). Several boxes count as one list when
    written as one ("\\boxed{1} papers and \\boxed{2} bins" is ``1, 2``); otherwise the gold
    is ambiguous (``ValueError``). Numbered blanks (``(1) 3 (2) 5``, ``第一空3第二空5``) are
    written as ordered parts, ``3; 5`` (``pipeline/blanks.py``)."""
    numbered = numbered_blanks(gold)
    if numbered is not None:
        return "; ".join(numbered)
    if "box" in gold or is_prose(gold):
        extraction = extract_answer(gold)
        if extraction is not None and extraction.source in (Source.BOXED, Source.ANCHOR):
            if len(extraction.candidates) == 1:
                return extraction.final
            listed = extraction.joined or (
                list_answer(boxes) if (boxes := listed_boxes(gold)) else None
            )
            if listed is None:
                raise ValueError("gold has several boxed answers that do not form one list")
            return listed
    return canonical_answer(gold)


def _parts(golds: tuple[tuple[str, ...], ...], extraction: Extraction) -> tuple[Part, ...] | None:
    """Pair each blank's golds with its candidates: one blank takes every candidate; several
    blanks take one box each, or the pieces of a single answer split at ``;`` or ``,``."""
    candidates = extraction.candidates
    if len(golds) == 1:
        joined = extraction.joined
        if joined is None and extraction.listed and _list_length(golds[0]) == len(candidates):
            # as many connected boxes as the gold lists answers: they are read as that list
            joined = list_answer(candidates)
        return (Part(golds[0], candidates, joined),)
    if len(candidates) == len(golds):
        per_part: tuple[str, ...] | None = candidates
    elif len(candidates) == 1:
        per_part = split_parts(candidates[0], len(golds))
    else:
        per_part = None
    if per_part is None:
        return None
    return tuple(Part(g, (c,), None) for g, c in zip(golds, per_part, strict=True))


def _blanks(golds: Golds, in_order: bool) -> Golds:
    """A one-part gold written as ordered blanks (``3; 5``; a comma list when the problem asks
    for an order) is one part per blank, compared position by position; any other gold is
    returned as it is. Only a gold with one accepted form is split: pairing the blanks of
    several forms would accept mixtures of them."""
    if len(golds) != 1 or len(golds[0]) != 1:
        return golds
    (gold,) = golds[0]
    blanks = ordered_blanks(gold, in_order)
    if blanks is None:
        return golds
    return tuple((blank,) for blank in blanks)


def _list_length(golds: tuple[str, ...]) -> int:
    """How many answers the gold lists (top-level commas or semicolons); 1 when it is one
    answer or its accepted forms disagree."""
    lengths = {
        max((len(pieces) for pieces in (split_list(gold, sep) for sep in ";,")), default=1)
        for gold in golds
    }
    return lengths.pop() if len(lengths) == 1 else 1


def _internal_error(request: ScoreRequest, error: Exception) -> Prepared:
    """The log names the exception, not the (untrusted, possibly huge) response."""
    log.exception("internal error preparing request id=%r", request.id)
    return Prepared(
        Status.UNSCORABLE, Reason.INTERNAL_ERROR, detail=f"internal error: {type(error).__name__}"
    )


def _asks_judge(stage: Stage) -> bool:
    """Whether ``stage`` may put a question to the judge (which may be shown the thinking)."""
    return isinstance(stage, JudgeWork) or (
        isinstance(stage, SymbolicWork) and stage.fallback is not None
    )


def cascaded(work: SymbolicWork, decisions: Mapping[str, Decision]) -> JudgeWork | None:
    """The judge work that replaces symbolic work the verifier could not decide, once its
    decision is in ``decisions`` (``pipeline/cascade.py``); None when it stands."""
    decision = decisions.get(work.key)
    if work.fallback is None or decision is None or not cascades_after(work, decision):
        return None
    return JudgeWork(cascade_route(decision.reason), work.extraction, *work.fallback)


def pairs(work: SymbolicWork) -> set[Pair]:
    return {(g, a) for part in work.parts for g in part.golds for a in part.answers()}


def decide(work: SymbolicWork, outcomes: dict[Pair, Outcome]) -> Decision:
    def lookup(gold: str, candidate: str) -> Outcome:
        return outcomes[(gold, candidate)]

    return combine_parts(
        [decide_part(part.golds, part.candidates, lookup, part.joined) for part in work.parts]
    )


def stated(extraction: Extraction | None) -> str | None:
    """The answer as the response stated it: the list when boxes form one, else the last."""
    if extraction is None:
        return None
    return extraction.joined or extraction.final
