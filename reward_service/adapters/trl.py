"""TRL: a ``reward_funcs`` entry for ``GRPOTrainer``.

    from reward_service.adapters.trl import reward_service_reward
    trainer = GRPOTrainer(..., reward_funcs=[reward_service_reward])

TRL passes the dataset's columns as keyword lists; the gold answer is read from the first of
``ground_truth``, ``solution``, ``answer``, ``gold`` that is present; a GSM8K worked solution
ending in ``#### 72`` gives its final answer. Completions may be plain strings or
conversations: the last assistant message is scored, and where TRL's response parser split
the thinking into ``reasoning_content`` it is put back as ``<think>…</think>`` before the
content. Masked samples get ``None``, which TRL leaves out of the reward instead of counting
it as 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reward_service.adapters.common import (
    THINK_CLOSE,
    THINK_OPEN,
    gold_of,
    request_template,
    think_opened,
)
from reward_service.adapters.settings import adapter_client, adapter_settings
from reward_service.jsonl import merge, request_from_json, requests_of

GOLD_COLUMNS = ("ground_truth", "solution", "answer", "gold")


def _text(value: Any) -> str:
    """A prompt: a string, or a conversation whose last message counts."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and value and isinstance(value[-1], dict):
        return str(value[-1].get("content") or "")
    return str(value)


def _completion(value: Any) -> tuple[str, bool | None]:
    """A completion's text and, when it says so, whether its thinking span was opened in the
    prompt. A conversation's last assistant message counts (tool calls and results come
    before it); a ``reasoning_content`` beside its content is the thinking span TRL's
    response parser cut out, put back with both tags."""
    if not (isinstance(value, Sequence) and value and isinstance(value[-1], dict)):
        return _text(value), None
    replies = [
        m for m in value if isinstance(m, dict) and m.get("role", "assistant") == "assistant"
    ]
    message = replies[-1] if replies else value[-1]
    content = str(message.get("content") or "")
    reasoning = message.get("reasoning_content")
    if reasoning:
        return f"{THINK_OPEN}{reasoning}{THINK_CLOSE}{content}", False
    return content, None


def reward_service_reward(
    completions: Sequence[Any], prompts: Sequence[Any] | None = None, **columns: Any
) -> list[float | None]:
    """Rewards for a GRPO batch, ``None`` where the service could not score."""
    settings = adapter_settings()
    gold_column = next((c for c in GOLD_COLUMNS if c in columns), None)
    if gold_column is None:
        raise ValueError(f"the dataset needs one of the columns {GOLD_COLUMNS}")
    golds = [gold_of(g) for g in columns[gold_column]]
    prompt_texts = [_text(p) for p in prompts] if prompts is not None else [""] * len(golds)
    texts = [_completion(c) for c in completions]
    staged = [
        request_from_json(
            {
                "id": str(i),
                "response": response,
                "gold": gold,
                "problem": prompt or None,
                "think_in_prompt": _think_in_prompt(settings.think_in_prompt, stated, prompt),
                "template": request_template(settings, response),
                "route": settings.route,
            },
            f"completion {i}",
        )
        for i, ((response, stated), gold, prompt) in enumerate(
            zip(texts, golds, prompt_texts, strict=True)
        )
    ]
    results = merge(staged, adapter_client().score_batch(requests_of(staged)))
    return [r.reward for r in results]


def _think_in_prompt(setting: bool | None, stated: bool | None, prompt: str) -> bool | None:
    """The setting, else what the completion says, else True when a text prompt leaves
    ``<think>`` open, else None (the service reads it from the response)."""
    if setting is not None:
        return setting
    if stated is not None:
        return stated
    return True if think_opened(prompt) else None
