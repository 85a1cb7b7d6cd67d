"""OpenRLHF: the remote reward-model protocol and a ``reward_func`` file.

Protocol (OpenRLHF's ``--reward.remote_url http://host:8000/get_reward``): POST
``{"query": [...], "prompts": [...], "labels": [...]}`` where each query is prompt + response;
the reply is ``{"rewards": [...], "scores": [...], "extra_logs": {...}}``, lists as long as
``query``. OpenRLHF has no null reward, so a masked result (unscorable through no fault of the
response) gets ``trainer_unscorable_reward`` (default −1.0) and ``extra_logs.masked`` = 1.0
marks it; a result the response made unscorable gets its penalty; ``scores`` (used for dynamic
filtering) is 1.0 for correct, the fraction of right parts for partial, else 0.0.

File variant (``--reward.remote_url /path/to/reward_service/adapters/openrlhf.py``): OpenRLHF
imports this file and calls :func:`reward_func`, which scores through a running service
(``REWARD_SERVICE_CLIENT_URL``) within ``REWARD_SERVICE_CLIENT_TIMEOUT_S``. OpenRLHF 0.11
swallows any exception of a reward call (the sample then has no reward and the step fails
later on an unrelated-looking error), so a call the service could not answer is masked
instead: every sample gets ``trainer_unscorable_reward`` with ``extra_logs.masked`` = 1.0 and
``extra_logs.service_error`` = 1.0, and a warning names the error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from reward_service.adapters.common import reward_or, think_opened
from reward_service.adapters.settings import adapter_client, adapter_settings
from reward_service.client import ClientError
from reward_service.jsonl import merge, request_from_json, requests_of
from reward_service.types import Blame, ScoreRequest, ScoreResult, Status, Template, Verdict

log = logging.getLogger(__name__)


class OpenRLHFRequest(BaseModel):
    """The body OpenRLHF posts (other keys it may add are ignored)."""

    model_config = ConfigDict(extra="ignore")

    query: list[str]
    prompts: list[str]
    labels: list[Any]
    """Each checked on its own: a bad label fails its sample, not the call."""


def response_of(query: str, prompt: str) -> str:
    """The response part of an OpenRLHF query (prompt + response)."""
    return query[len(prompt) :] if query.startswith(prompt) else query


def to_requests(
    queries: Sequence[str],
    prompts: Sequence[str],
    labels: Sequence[Any],
    template: Template = Template.R1,
) -> list[ScoreRequest | ScoreResult]:
    """One request per query; a bad label gives that query an ``invalid_request`` result."""
    if not len(queries) == len(prompts) == len(labels):
        raise ValueError("query, prompts and labels must have the same length")
    return [
        request_from_json(
            {
                "id": str(i),
                "response": response_of(query, prompt),
                "gold": label,
                "problem": prompt,
                "think_in_prompt": True if think_opened(prompt) else None,
                "template": template,
            },
            f"query[{i}]",
        )
        for i, (query, prompt, label) in enumerate(zip(queries, prompts, labels, strict=True))
    ]


def _score(result: ScoreResult) -> float:
    if result.verdict is Verdict.CORRECT:
        return 1.0
    if result.verdict is Verdict.PARTIAL and result.parts:
        return sum(p.verdict is Verdict.CORRECT for p in result.parts) / len(result.parts)
    return 0.0


def to_reply(results: Sequence[ScoreResult], unscorable_reward: float) -> dict[str, Any]:
    """OpenRLHF's reply shape; every list is as long as ``results``."""
    return {
        "rewards": [reward_or(r, unscorable_reward) for r in results],
        "scores": [_score(r) for r in results],
        "extra_logs": {
            "unscorable": [float(r.status is Status.UNSCORABLE) for r in results],
            "masked": [float(r.masked) for r in results],
            "response_fault": [float(r.blame is Blame.RESPONSE) for r in results],
            "filtered": [float(r.status is Status.FILTERED) for r in results],
            "correct": [float(r.verdict is Verdict.CORRECT) for r in results],
            "service_error": [0.0] * len(results),
        },
    }


def unanswered_reply(count: int, unscorable_reward: float) -> dict[str, Any]:
    """The reply for ``count`` samples the service did not answer: all masked, with the
    same keys as :func:`to_reply`."""
    zeros, ones = [0.0] * count, [1.0] * count
    return {
        "rewards": [unscorable_reward] * count,
        "scores": zeros,
        "extra_logs": {
            "unscorable": ones,
            "masked": ones,
            "response_fault": zeros,
            "filtered": zeros,
            "correct": zeros,
            "service_error": ones,
        },
    }


def reward_func(
    queries: list[str], prompts: list[str], labels: list[Any], **kwargs: Any
) -> dict[str, Any]:
    """OpenRLHF's local reward function: scores through the service named by the client
    settings. Returns torch tensors when torch is importable (as OpenRLHF concatenates them),
    plain lists otherwise."""
    settings = adapter_settings()
    staged = to_requests(queries, prompts, labels, settings.template)
    try:
        scored = adapter_client().score_batch(requests_of(staged))
    except ClientError as error:
        log.warning(
            "reward-service %s did not answer, %d samples masked: %s",
            settings.url,
            len(staged),
            error,
        )
        reply = unanswered_reply(len(staged), settings.unscorable_reward)
    else:
        reply = to_reply(merge(staged, scored), settings.unscorable_reward)
    try:
        import torch  # noqa: PLC0415 - only present inside a trainer
    except ImportError:
        return reply
    return {
        "rewards": torch.tensor(reply["rewards"]),
        "scores": torch.tensor(reply["scores"]),
        "extra_logs": {k: torch.tensor(v) for k, v in reply["extra_logs"].items()},
    }
