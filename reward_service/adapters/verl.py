"""verl: a custom reward function module (tested against verl 0.9.1's reward loop).

verl ≥ 0.7 (the reward loop; 0.9.1 has no other) reads ``reward.custom_reward_function.*``::

    reward.custom_reward_function.path=<site-packages>/reward_service/adapters/verl.py
    reward.custom_reward_function.name=compute_score_async

Every reward-loop manager (``naive``, ``dapo``, ``gdpo``, ``limited``, ``remote``) calls the
function once per sample and awaits it when it is a coroutine function, so
``compute_score_async`` keeps no thread of verl's pool busy; the service coalesces the
concurrent single-sample calls. ``compute_score`` is the blocking form.

Legacy verl (< 0.7): top-level ``custom_reward_function.path/name`` and
``reward_model.reward_manager=batch`` with ``compute_score_batch``; verl 0.9.1 ignores the
top-level keys without a word and has no ``batch`` manager.

Every call returns a dict with the same keys for every sample: ``score`` (the reward;
``REWARD_SERVICE_CLIENT_UNSCORABLE_REWARD`` for a masked result), ``acc`` (DAPO's
``filter_groups.metric=acc``), ``status``, ``verdict``, ``reason``, ``blame``, ``unscorable``
and ``masked`` (1.0 / 0.0). ``ground_truth`` may be a string, a number, a list or numpy array
of accepted answers, or ``{"parts": [...]}``. ``extra_info["question"]`` (or ``"problem"``) is
sent as the problem text; ``extra_info["think_in_prompt"]`` overrides the setting of the same
name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reward_service.adapters.common import gold_of, request_template, result_fields
from reward_service.adapters.settings import (
    AdapterSettings,
    adapter_client,
    adapter_settings,
    async_adapter_client,
)
from reward_service.jsonl import merge, request_from_json, requests_of
from reward_service.types import ScoreRequest, ScoreResult


def _gold(ground_truth: Any) -> Any:
    if hasattr(ground_truth, "tolist"):  # numpy arrays and scalars
        ground_truth = ground_truth.tolist()
    if isinstance(ground_truth, list | tuple):
        return [str(g) for g in ground_truth]
    if isinstance(ground_truth, dict):
        return ground_truth
    return gold_of(str(ground_truth))


def _request(
    settings: AdapterSettings,
    index: int,
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict[str, Any] | None,
) -> ScoreRequest | ScoreResult:
    extra = extra_info or {}
    think_in_prompt = extra.get("think_in_prompt", settings.think_in_prompt)  # None: read it
    return request_from_json(
        {
            "id": str(index),
            "response": solution_str,
            "gold": _gold(ground_truth),
            "problem": extra.get("question") or extra.get("problem"),
            "data_source": None if data_source is None else str(data_source),
            "think_in_prompt": None if think_in_prompt is None else bool(think_in_prompt),
            "template": request_template(settings, solution_str),
            "route": settings.route,
        },
        f"sample {index}",
    )


def _fields(
    staged: list[ScoreRequest | ScoreResult], scored: list[ScoreResult], settings: AdapterSettings
) -> list[dict[str, float | str]]:
    return [result_fields(r, settings.unscorable_reward) for r in merge(staged, scored)]


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """verl's per-sample reward function."""
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info])[0]


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[dict[str, Any] | None] | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """The legacy batch reward function (verl < 0.7, ``reward_model.reward_manager=batch``):
    one dict per sample, in one call to the service."""
    settings = adapter_settings()
    infos = extra_infos if extra_infos is not None else [None] * len(solution_strs)
    staged = [
        _request(settings, i, *sample)
        for i, sample in enumerate(
            zip(data_sources, solution_strs, ground_truths, infos, strict=True)
        )
    ]
    return _fields(staged, adapter_client().score_batch(requests_of(staged)), settings)


async def compute_score_async(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """The async form of :func:`compute_score` (verl's async reward loop)."""
    settings = adapter_settings()
    staged = [_request(settings, 0, data_source, solution_str, ground_truth, extra_info)]
    client = async_adapter_client()
    return _fields(staged, await client.score_batch(requests_of(staged)), settings)[0]
