"""TRL: a ``reward_funcs`` entry for ``GRPOTrainer``.

    from reward_service.adapters.trl import reward_service_reward
    trainer = GRPOTrainer(..., reward_funcs=[reward_service_reward])

TRL passes the dataset's columns as keyword lists; the gold answer is read from the first of
``ground_truth``, ``solution``, ``answer``, ``gold`` that is present. Completions may be plain
strings or conversations (the last message's ``content`` is scored). Unscorable samples get
``None``, which TRL leaves out of the reward instead of counting it as 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reward_service.adapters.common import think_opened
from reward_service.adapters.settings import adapter_client, adapter_settings
from reward_service.jsonl import merge, request_from_json, requests_of

GOLD_COLUMNS = ("ground_truth", "solution", "answer", "gold")


def _text(value: Any) -> str:
    """A completion or prompt: a string, or a conversation whose last message counts."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and value and isinstance(value[-1], dict):
        return str(value[-1].get("content", ""))
    return str(value)


def reward_service_reward(
    completions: Sequence[Any], prompts: Sequence[Any] | None = None, **columns: Any
) -> list[float | None]:
    """Rewards for a GRPO batch, ``None`` where the service could not score."""
    settings = adapter_settings()
    gold_column = next((c for c in GOLD_COLUMNS if c in columns), None)
    if gold_column is None:
        raise ValueError(f"the dataset needs one of the columns {GOLD_COLUMNS}")
    golds = columns[gold_column]
    prompt_texts = [_text(p) for p in prompts] if prompts is not None else [""] * len(golds)
    staged = [
        request_from_json(
            {
                "id": str(i),
                "response": _text(completion),
                "gold": gold,
                "problem": prompt or None,
                "think_in_prompt": (
                    settings.think_in_prompt
                    if settings.think_in_prompt is not None
                    else (True if think_opened(prompt) else None)
                ),
                "template": settings.template,
                "route": settings.route,
            },
            f"completion {i}",
        )
        for i, (completion, gold, prompt) in enumerate(
            zip(completions, golds, prompt_texts, strict=True)
        )
    ]
    results = merge(staged, adapter_client().score_batch(requests_of(staged)))
    return [r.reward for r in results]
