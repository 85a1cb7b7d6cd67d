"""Transport-free domain types: what a caller sends and what it gets back (DESIGN.md §1).

Every front door (offline CLI, HTTP, gRPC) converts its wire format to :class:`ScoreRequest`
and :class:`ScoreResult` and nothing else, so all of them return identical results.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

_SURROGATE = re.compile("[\ud800-\udfff]")
M = TypeVar("M", bound=BaseModel)


class Status(StrEnum):
    """The field trainers mask on."""

    SCORED = "scored"
    """A correctness verdict was reached; ``reward`` is set."""
    FILTERED = "filtered"
    """The response failed the format or repetition filter; it gets the filter penalty."""
    UNSCORABLE = "unscorable"
    """The service could not decide (timeout, bad gold, no judge, ...); ``reward`` is null."""


class Blame(StrEnum):
    """Who caused an ``unscorable`` result; it decides what a trainer gets (DESIGN.md §1)."""

    RESPONSE = "response"
    """The response made it unscorable (too large, an answer that times out or crashes the
    verifier): the policy's doing, so it is penalised like a wrong answer, never masked."""
    DATA = "data"
    """The gold or the request is broken: not the policy's doing, masked."""
    INFRASTRUCTURE = "infrastructure"
    """The judge, a worker or the call's deadline failed: not the policy's doing, masked."""


class Verdict(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    PARTIAL = "partial"
    """Some, not all, parts of a multi-part answer are correct."""


class Route(StrEnum):
    """Which checker decided (or would have decided) the verdict."""

    SYMBOLIC = "symbolic"
    JUDGE = "judge"
    NONE = "none"
    """No checker ran: the request was rejected or filtered before routing."""


class RouteHint(StrEnum):
    AUTO = "auto"
    SYMBOLIC = "symbolic"
    JUDGE = "judge"


class Template(StrEnum):
    """How the response is laid out."""

    R1 = "r1"
    """``<think>…</think>`` then the answer span (the opening tag may sit in the prompt)."""
    PLAIN = "plain"
    """No thinking span: the whole response is the answer span."""


class Reason(StrEnum):
    """Why a result is what it is. Prefixes group them: ``format.*`` and ``repetition.*`` are
    filter reasons, ``answer.*`` explain a scored verdict, the rest explain ``unscorable``."""

    # filtered
    FORMAT_MISSING_THINK_OPEN = "format.missing_think_open"
    FORMAT_MISSING_THINK_CLOSE = "format.missing_think_close"
    FORMAT_MULTIPLE_THINK = "format.multiple_think"
    FORMAT_TEXT_BEFORE_THINK = "format.text_before_think"
    FORMAT_EMPTY_ANSWER = "format.empty_answer"
    FORMAT_TRUNCATED = "format.truncated"
    """The trainer said the response hit its length limit (ahead of every other filter)."""
    REPETITION_THINKING = "repetition.thinking"
    REPETITION_ANSWER = "repetition.answer"
    # scored
    ANSWER_EQUIVALENT = "answer.equivalent"
    ANSWER_NOT_EQUIVALENT = "answer.not_equivalent"
    ANSWER_MISSING = "answer.missing"
    ANSWER_HEDGED = "answer.hedged"
    ANSWER_UNPARSABLE = "answer.unparsable"
    ANSWER_PARTS_MISMATCH = "answer.parts_mismatch"
    ANSWER_SOME_PARTS_WRONG = "answer.some_parts_wrong"
    JUDGE_CORRECT = "judge.correct"
    JUDGE_INCORRECT = "judge.incorrect"
    JUDGE_PROCESS_FLAWED = "judge.process_flawed"
    """The final answer is right but the judge found the solving process wrong."""
    JUDGE_INVALID_ANSWER = "judge.invalid_answer"
    """The judge found the answer invalid (cut off, refusal, irrelevant)."""
    # unscorable
    TIMEOUT = "timeout"
    INVALID_GOLD = "invalid_gold"
    INVALID_REQUEST = "invalid_request"
    TOO_LARGE = "too_large"
    VERIFIER_ERROR = "verifier_error"
    WORKER_LOST = "worker_lost"
    """No verifier worker could run the comparison (workers cannot be started): an
    infrastructure failure, not the response's fault."""
    SHUTDOWN = "shutdown"
    """The server shut down (its drain timeout passed) before the comparison or the judge
    answered: an infrastructure failure, not the response's fault."""
    JUDGE_NOT_CONFIGURED = "judge_not_configured"
    JUDGE_UNAVAILABLE = "judge_unavailable"
    """The judge server was down, refused, or its circuit breaker is open."""
    JUDGE_UNPARSABLE = "judge_unparsable"
    """The judge's reply was not a verdict in the spec's form."""
    JUDGE_DISAGREEMENT = "judge_disagreement"
    """Several judge samples disagreed; the service abstains."""
    INTERNAL_ERROR = "internal_error"
    """A bug in the service; the log has the traceback."""


NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]


class GoldParts(BaseModel):
    """A multi-part gold answer: one entry per blank/sub-question, each a string or a list of
    accepted alternatives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parts: list[NonEmptyStr | list[NonEmptyStr]] = Field(min_length=1)


Gold = NonEmptyStr | list[NonEmptyStr] | GoldParts
"""A string, a list of accepted alternatives, or ``{"parts": [...]}`` for several blanks."""


def gold_identity(gold: Gold) -> Hashable:
    """A hashable stand-in for ``gold``, equal exactly when the golds are equal (so a batch can
    work once per distinct gold)."""
    if isinstance(gold, str):
        return gold
    if isinstance(gold, list):
        return tuple(gold)
    return (GoldParts, tuple(p if isinstance(p, str) else tuple(p) for p in gold.parts))


def _encodable(text: str) -> bool:
    """No lone surrogate in ``text``: the common case, checked in C without a regex scan."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _without_surrogates(value: Any) -> Any:
    """Lone surrogates (JSON allows ``"\\udfff"``) cannot be encoded as UTF-8: they become
    U+FFFD at the door, so nothing downstream — hashing, results, logs — chokes on them."""
    if isinstance(value, str):
        return value if _encodable(value) else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_surrogates(v) for k, v in value.items()}
    return value


def number_text(value: int | float) -> str:
    """A numeric label as answer text: integers exactly, floats in their shortest round-trip
    form (``0.1``, ``2.5``; a whole float as an integer: ``3.0`` → ``3``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _gold_numbers_as_text(value: Any) -> Any:
    """Numbers in a gold (datasets store numeric labels) become answer text, at any level; a
    boolean is refused: ``True`` is no answer, and as a number it would silently be 1."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a gold answer; send the answer as text or a number")
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, list):
        return [_gold_numbers_as_text(v) for v in value]
    if isinstance(value, dict) and isinstance(value.get("parts"), list):
        return {**value, "parts": [_gold_numbers_as_text(p) for p in value["parts"]]}
    return value


class ScoreRequest(BaseModel):
    """One response to score. Unknown fields are rejected so a typo fails loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("response", "gold", "problem", "data_source", "id", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return _without_surrogates(value)

    @field_validator("gold", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: Any) -> Any:
        return _gold_numbers_as_text(value)

    id: str | int | None = None
    """Echoed back unchanged."""
    response: str
    """The model's generated text (for R1 templates, everything after the prompt)."""
    gold: Gold
    problem: str | None = None
    """Problem text; the LLM judge needs it."""
    data_source: str | None = None
    """Dataset name; routing rules may match on it."""
    think_in_prompt: bool | None = None
    """True when the opening ``<think>`` tag was part of the prompt (R1-style chat templates);
    None (default): read from the response — a ``</think>`` with no ``<think>`` before it
    means the prompt opened the span."""
    truncated: bool = False
    """The response was cut at the generation length limit (``finish_reason == "length"``):
    filtered as ``format.truncated``, whatever its text."""
    template: Template = Template.R1
    route: RouteHint = RouteHint.AUTO


class PartResult(BaseModel):
    """The verdict on one part of a multi-part answer."""

    model_config = ConfigDict(frozen=True)

    index: int
    verdict: Verdict | None
    """None when that part could not be decided."""
    extracted_answer: str | None


class Provenance(BaseModel):
    """What produced a result, so offline and online scores can be compared."""

    model_config = ConfigDict(frozen=True)

    service_version: str
    verifier_versions: dict[str, str]
    judge_model: str | None
    config_hash: str


class ScoreResult(BaseModel):
    """The outcome for one request. ``reward`` is null exactly when the result is unscorable
    through no fault of the response (``blame`` data or infrastructure): mask those."""

    model_config = ConfigDict(frozen=True)

    id: str | int | None
    status: Status
    verdict: Verdict | None
    reason: Reason
    reward: float | None
    route: Route
    route_reason: str | None = None
    """Why this route: ``hint``, ``rule:<pattern>``, ``gold_shape``, or ``cascade:<reason>``
    (the judge decided what the symbolic verifier could not, ``pipeline/cascade.py``)."""
    extracted_answer: str | None = None
    parts: list[PartResult] | None = None
    cached: bool = False
    elapsed_ms: float = 0.0
    detail: str | None = None
    """Human-readable detail for errors (e.g. the validation message of a malformed request)."""
    provenance: Provenance | None = None
    blame: Blame | None = None
    """Who caused an ``unscorable`` result (None otherwise). ``response``: ``reward`` is the
    penalty, not null; ``data`` / ``infrastructure``: ``reward`` is null, mask the sample."""

    @property
    def masked(self) -> bool:
        """True when a trainer should leave this sample out: unscorable, not the response's
        fault. Exactly when ``reward`` is null."""
        return self.reward is None


_set = object.__setattr__


def construct_trusted(model: type[M], values: dict[str, Any]) -> M:
    """An instance of ``model`` from ``values`` already of the declared types, one per field in
    declaration order; nothing is checked. ``model_construct`` does the same plus per-field
    alias and default handling that costs more than the rest of a cache hit. Only for models
    without extra fields, private attributes or post-init hooks."""
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(values))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance
