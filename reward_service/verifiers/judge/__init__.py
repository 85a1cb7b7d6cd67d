"""The LLM judge over an OpenAI-compatible API (vLLM), for free-form and multi-part answers."""

from __future__ import annotations

from reward_service.metrics import JudgeMetrics
from reward_service.settings import JudgeSettings
from reward_service.verifiers.judge.client import CircuitBreaker, JudgeClient
from reward_service.verifiers.judge.judge import Judge, JudgeItem
from reward_service.verifiers.judge.spec import (
    JudgeSpec,
    SpecError,
    available_specs,
    builtin_specs,
    load_specs,
)


def build_judge(settings: JudgeSettings, metrics: JudgeMetrics | None = None) -> Judge | None:
    """The judge the settings describe, or None when no URL is set. Loads and validates the
    built-in specs and those in ``specs_dir``; raises :class:`SpecError` if one is broken or the
    model is unknown. ``served_model`` replaces the spec's served model name; ``metrics``
    receives the judge's calls, failures and breaker state."""
    if settings.url is None:
        return None
    specs = available_specs(settings.specs_dir)
    if settings.model not in specs:
        raise SpecError(f"judge model {settings.model!r} not in {sorted(specs)}")
    spec = specs[settings.model]
    if settings.served_model is not None:
        spec = spec.model_copy(update={"served_model": settings.served_model})
    client = JudgeClient(
        settings.url,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        concurrency=settings.concurrency,
        call_timeout_s=settings.timeout_s,
        retries=settings.retries,
        backoff_s=settings.backoff_s,
        breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_reset_s, metrics),
        metrics=metrics,
    )
    return Judge(spec, client, settings.samples, settings.sample_temperature)


__all__ = [
    "Judge",
    "JudgeItem",
    "JudgeSpec",
    "SpecError",
    "available_specs",
    "build_judge",
    "builtin_specs",
    "load_specs",
]
