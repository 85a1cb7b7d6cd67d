"""What every trainer mapping shares: reading the prompt, flattening a result."""

from __future__ import annotations

from reward_service.types import ScoreResult, Status

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


def think_opened(prompt: str) -> bool:
    """True when the prompt leaves a ``<think>`` span open (R1-style chat templates), so the
    response starts inside the thinking span."""
    return prompt.rfind(THINK_OPEN) > prompt.rfind(THINK_CLOSE)


def reward_or(result: ScoreResult, unscorable_reward: float) -> float:
    """The result's reward, or ``unscorable_reward`` where a trainer's protocol has no null."""
    return result.reward if result.reward is not None else unscorable_reward


def result_fields(result: ScoreResult, unscorable_reward: float) -> dict[str, float | str]:
    """The same keys for every sample: ``score`` plus status, verdict, reason and an
    ``unscorable`` flag (1.0 / 0.0) to mask on. No value is ever None."""
    return {
        "score": reward_or(result, unscorable_reward),
        "status": result.status.value,
        "verdict": result.verdict.value if result.verdict is not None else "",
        "reason": result.reason.value,
        "unscorable": float(result.status is Status.UNSCORABLE),
    }
