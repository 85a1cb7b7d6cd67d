"""slime: the remote reward-model protocol and a ``--custom-rm-path`` function.

Remote (``--rm-type remote_rm --rm-url http://host:8000/slime/reward``): slime POSTs
``{"prompt", "response", "label"}`` and uses the JSON reply as the reward: a number, with
unscorable results given ``trainer_unscorable_reward``. ``/slime/reward_details`` replies with
``{"score", "status", "verdict", "reason", "unscorable"}`` for ``--reward-key score``.

Custom (``--custom-rm-path reward_service.adapters.slime.reward``): called with one sample, or
a list of samples in ``--group-rm`` mode, it scores through a running service
(``REWARD_SERVICE_CLIENT_URL``) and returns the reward(s).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from reward_service.adapters.common import request_template, reward_or, think_opened
from reward_service.adapters.settings import adapter_settings, async_adapter_client
from reward_service.jsonl import merge, request_from_json, requests_of
from reward_service.types import ScoreRequest, ScoreResult, Template


class SlimeRequest(BaseModel):
    """The body slime's ``remote_rm`` posts."""

    model_config = ConfigDict(extra="ignore")

    prompt: str | list[dict[str, Any]]
    response: str
    label: Any
    """Checked as a gold: a number is read as its text, a boolean is refused."""


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, list):  # chat messages
        return "\n".join(str(m.get("content", "")) for m in prompt if isinstance(m, dict))
    return str(prompt or "")


def to_request(
    prompt: Any, response: str, label: Any, where: str, template: Template = Template.R1
) -> ScoreRequest | ScoreResult:
    text = _prompt_text(prompt)
    return request_from_json(
        {
            "id": where,
            "response": response,
            "gold": label,
            "problem": text or None,
            "think_in_prompt": True if think_opened(text) else None,
            "template": template,
        },
        where,
    )


async def reward(args: Any, sample: Any, **kwargs: Any) -> float | list[float]:
    """slime's custom reward function: one sample → a reward, a list → a list."""
    samples = sample if isinstance(sample, list) else [sample]
    settings = adapter_settings()
    staged = [
        to_request(
            s.prompt, s.response, s.label, f"sample {i}", request_template(settings, s.response)
        )
        for i, s in enumerate(samples)
    ]
    client = async_adapter_client()
    results = merge(staged, await client.score_batch(requests_of(staged)))
    rewards = [reward_or(r, settings.unscorable_reward) for r in results]
    return rewards if isinstance(sample, list) else rewards[0]
