"""One typed settings object for every knob, validated once at start-up.

Environment variables use the prefix ``REWARD_SERVICE_`` and ``__`` for nesting, e.g.
``REWARD_SERVICE_SYMBOLIC__TASK_TIMEOUT_S=3`` or ``REWARD_SERVICE_REWARDS__FILTERED=-0.5``.
Unknown fields are rejected, so a misspelt setting fails at start-up.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reward_service.rewards import RewardTable
from reward_service.types import Template

ENV_PREFIX = "REWARD_SERVICE_"
CLIENT_ENV_PREFIX = "REWARD_SERVICE_CLIENT_"
"""The trainer-side client's settings (``adapters/settings.py``)."""


class RepetitionTier(BaseModel):
    """Chunks costing less than ``novelty`` of their size are repeated; a run of them covering
    ``min_run_bytes`` or more makes the span repetitive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    novelty: float = Field(gt=0, lt=1)
    min_run_bytes: int = Field(ge=128)


class UnitRunSettings(BaseModel):
    """A run of at least ``min_repeats`` back-to-back copies of one unit of at most
    ``max_unit_bytes``, covering ``min_run_bytes`` or more, makes the span repetitive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_unit_bytes: int = Field(64, ge=1)
    min_repeats: int = Field(16, ge=2)
    min_run_bytes: int = Field(256, ge=2)

    @model_validator(mode="after")
    def _run_holds_two_units(self) -> UnitRunSettings:
        # the scan samples every ``min_run_bytes - 2 * max_unit_bytes + 1`` bytes
        if self.min_run_bytes < 2 * self.max_unit_bytes:
            raise ValueError("min_run_bytes must be at least 2 * max_unit_bytes")
        return self


class RepetitionSettings(BaseModel):
    """Thresholds of the repetition filter; see ``pipeline/repetition.py`` for the rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chunk_bytes: int = Field(2048, ge=64)
    """Size of the UTF-8 chunks whose novelty is measured."""
    tiers: tuple[RepetitionTier, ...] = (
        RepetitionTier(novelty=0.10, min_run_bytes=4096),
        RepetitionTier(novelty=0.20, min_run_bytes=16384),
    )
    """Verbatim loops are nearly free to encode and are caught after 4 KB; loops with a
    counter or computed values in them cost more and are caught after 16 KB, far beyond the
    longest healthy run seen in real responses (2 KB)."""
    unit_runs: UnitRunSettings = UnitRunSettings()
    """Short loops diluted in healthy text (a word, a digit, a table row repeated)."""


class SymbolicSettings(BaseModel):
    """The Math-Verify worker pool and its comparison settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1)
    task_timeout_s: float = Field(5.0, gt=0)
    """Hard wall-clock deadline per verification task; the worker is killed past it."""
    worker_memory_mb: int = Field(2048, ge=256)
    """Address-space limit of each worker process (RLIMIT_AS)."""
    worker_max_tasks: int = Field(2000, ge=1)
    """A worker is replaced after this many tasks, bounding slow leaks."""
    quarantine_s: float = Field(600.0, ge=0)
    """A comparison that hit ``task_timeout_s`` answers timeout at once for this long (0: off)."""
    heal_window_s: float = Field(30.0, gt=0)
    """Liveness fails once verifier workers have failed to start, with no success, this long."""
    float_rounding: int = Field(6, ge=0)
    numeric_precision: int = Field(15, ge=1)
    strict: bool = True
    relation_as_set: bool = False
    """An inequality in one variable equals the interval it describes (``x > -1/4`` and
    ``(-1/4, +\\infty)``): Math-Verify's ``allow_set_relation_comp``."""
    fast_path: bool = True
    """Decide comparisons of plain numerals (integers, decimals, fractions, percentages) in
    the service process, with the workers' verdicts (``verifiers/fastpath.py``); off: every
    comparison but identical text goes to a worker."""


class JudgeSettings(BaseModel):
    """The LLM judge: an OpenAI-compatible server (vLLM) and a judge spec by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    """Base URL of the OpenAI-compatible API, e.g. ``http://vllm:8000/v1``; unset: judge-routed
    requests are ``unscorable/judge_not_configured``."""
    model: str = "qwen2.5-instruct"
    """Name of a built-in spec (``reward_service/judge_models/``) or of one in ``specs_dir``."""
    served_model: str | None = None
    """The model name the server knows, replacing the spec's (a 72B or Qwen3 judge served
    under its own ``--served-model-name``, without a spec file of its own)."""
    api_key: SecretStr | None = None
    specs_dir: Path | None = None
    """A directory of your own ``*.toml`` specs, added to the built-in ones (a spec of the
    same name replaces the built-in)."""
    concurrency: int = Field(256, ge=1)
    """Judge calls in flight at once, each on a connection of its own (the pool holds at most
    this many, kept alive between calls): a vLLM server batches hundreds of requests, and a
    GRPO step asks a few hundred distinct questions at once. Lower it for a smaller server."""
    timeout_s: float = Field(60.0, gt=0)
    """Deadline of one judge call (the request's own deadline may be shorter)."""
    retries: int = Field(2, ge=0)
    backoff_s: float = Field(0.5, ge=0)
    breaker_failures: int = Field(5, ge=1)
    """Consecutive failures that open the circuit breaker."""
    breaker_reset_s: float = Field(30.0, gt=0)
    samples: int = Field(1, ge=1)
    """Ask this many times (different seeds) and abstain unless all agree."""
    sample_temperature: float = Field(0.7, ge=0)
    cascade: bool = True
    """Symbolic first, judge when symbolic cannot decide: a symbolic-routed request whose
    answer or gold the verifier cannot read (``pipeline/cascade.py`` lists the reasons) is
    decided by the judge, ``route_reason`` ``cascade:<reason>``. Only with ``url`` set;
    ``false``: those requests keep their symbolic result."""


class CoalesceSettings(BaseModel):
    """Server-side coalescing of concurrent calls into micro-batches (``coalesce.py``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_ms: float = Field(2.0, ge=0, le=1000)
    """A micro-batch closes this long after its first call arrived (0: every call is its own
    micro-batch). The added latency of a lone call; under load the event loop is busy and
    micro-batches grow on their own."""
    max_requests: int = Field(256, ge=1)
    """A micro-batch closes as soon as it holds this many requests; a call is never split, so
    one larger call is a micro-batch of its own."""


class Settings(BaseSettings):
    """Everything configurable about the service."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    rewards: RewardTable = RewardTable()
    repetition: RepetitionSettings = RepetitionSettings()
    symbolic: SymbolicSettings = SymbolicSettings()
    max_response_bytes: int = Field(1_000_000, ge=1)
    """Longer responses (UTF-8 bytes) are ``unscorable/too_large`` without being read."""
    max_answer_chars: int = Field(1_000, ge=1)
    """An extracted final answer longer than this is ``unscorable/too_large``."""
    max_candidates: int = Field(8, ge=1)
    """More distinct boxed answers than this in one answer span is hedging, without checking."""
    filter_processes: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=0)
    """Processes running the filters (format tags, repetition) of big batches, so filtering
    uses every core and leaves the event loop free (``pipeline/filter_pool.py``); 0: threads
    in the service process. Default: one per CPU."""
    judge: JudgeSettings = JudgeSettings()
    routing_rules: dict[str, Literal["symbolic", "judge"]] = Field(default_factory=dict)
    """``data_source`` glob pattern → ``symbolic`` | ``judge``; the first matching pattern wins."""
    cache_size: int = Field(100_000, ge=0)
    """Entries of the in-process LRU cache (0 disables it)."""
    cache_url: str | None = None
    """Redis for the score cache (``redis://``, ``rediss://``, ``unix://``); unset: in-process
    LRU only."""
    cache_ttl_s: int = Field(7 * 24 * 3600, ge=1)
    """Lifetime of a Redis entry."""
    cache_timeout_s: float = Field(0.25, gt=0)
    """Past this, a Redis call counts as failed and the batch goes on uncached."""
    cache_two_level: bool = False
    """With ``cache_url``: keep an in-process LRU in front of Redis."""

    # -- serving (``reward-service serve``) --
    host: str = "0.0.0.0"
    """Listen address of both doors (all interfaces: the server runs in a container)."""
    http_port: int = Field(8000, ge=0, le=65535)
    grpc_port: int = Field(50051, ge=0, le=65535)
    auth_token: SecretStr | None = None
    """When set, both doors require ``Authorization: Bearer <token>`` (health stays open)."""
    auth_exempt_paths: list[str] = Field(default_factory=list)
    """HTTP paths that need no token although ``auth_token`` is set, for trainers that send no
    headers (OpenRLHF's remote RM: ``/get_reward``; slime: ``/slime/reward``). Pair it with a
    network policy that admits only the trainer (README, "Deploy on Kubernetes")."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object per log line (for log collectors)."""
    max_batch_size: int = Field(4096, ge=1)
    """Requests in one batch call; more is an error, not a silent truncation."""
    max_in_flight: int = Field(16384, ge=1)
    """Responses being scored at once; past it new calls get RESOURCE_EXHAUSTED / 429."""
    max_body_bytes: int = Field(256 * 1024 * 1024, ge=1024)
    """Largest HTTP body or gRPC message accepted."""
    http_header_timeout_s: float = Field(10.0, gt=0)
    """An HTTP connection must send a request's complete headers within this long of its
    opening or of its last response, or it is closed (idle and half-sent connections)."""
    http_body_timeout_s: float = Field(60.0, gt=0)
    """An HTTP request must send its whole body within this long of its headers, or its
    connection is closed (bodies trickled or left half-sent)."""
    http_keepalive_timeout_s: int = Field(5, ge=1)
    """An HTTP connection idle this long after a response is closed."""
    http_max_connections: int = Field(4096, ge=1)
    """Open HTTP connections at most: past it the oldest idle one is closed to make room, and
    a new connection while all are busy gets 503."""
    default_timeout_s: float = Field(120.0, gt=0)
    """Server-side deadline of a call when the client gives none."""
    max_timeout_s: float = Field(600.0, gt=0)
    """Upper bound on any client-requested deadline."""
    coalesce: CoalesceSettings = CoalesceSettings()
    drain_timeout_s: float = Field(30.0, ge=0)
    """On SIGTERM: how long in-flight calls may take to finish before the server exits."""
    trainer_template: Template = Template.R1
    """Layout of responses on ``/get_reward`` and ``/slime/*``, whose protocols carry none:
    ``plain`` for non-reasoning models."""
    trainer_unscorable_reward: float = -1.0
    """Reward reported for masked results (unscorable through no fault of the response) where
    a trainer's protocol has no null (OpenRLHF ``/get_reward``, slime); flagged ``masked``
    beside it. At most the incorrect reward by default: never more than a wrong answer."""

    @model_validator(mode="after")
    def _batch_fits_in_flight(self) -> Settings:
        if self.max_batch_size > self.max_in_flight:
            raise ValueError("max_batch_size must not exceed max_in_flight")
        return self

    def config_hash(self) -> str:
        """A short hash of every setting that can change a verdict or reward."""
        include: dict[str, Any] = {
            "rewards": True,
            "repetition": True,
            "symbolic": {"float_rounding", "numeric_precision", "strict"},
            "max_answer_chars": True,
            "max_candidates": True,
            "routing_rules": True,
        }
        if self.judge.url is not None:  # without a judge the cascade changes nothing
            include["judge"] = {"cascade"}
        relevant = self.model_dump_json(include=include)
        return hashlib.sha256(relevant.encode()).hexdigest()[:12]
