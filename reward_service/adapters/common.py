"""What every trainer mapping shares: reading the prompt, flattening a result."""

from __future__ import annotations

import re
from typing import Any

from reward_service.adapters.settings import AdapterSettings
from reward_service.types import ScoreResult, Status, Template, Verdict

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


def think_opened(prompt: str) -> bool:
    """True when the prompt leaves a ``<think>`` span open (R1-style chat templates), so the
    response starts inside the thinking span."""
    return prompt.rfind(THINK_OPEN) > prompt.rfind(THINK_CLOSE)


def request_template(settings: AdapterSettings, response: str) -> Template:
    """The template to send for ``response``: ``plain`` when the settings say the decoding
    strips the think tags and none is left in it, else the configured one."""
    if settings.think_tags_stripped and THINK_CLOSE not in response and THINK_OPEN not in response:
        return Template.PLAIN
    return settings.template


_GSM8K_FINAL = re.compile(r"(?:^|\n)####[ \t]*(\S[^\n]*?)\s*\Z")


def gold_of(label: Any) -> Any:
    """A dataset's label as the gold answer: a GSM8K-style worked solution ending in a
    ``#### 72`` line gives its final answer; anything else is returned as it is."""
    if isinstance(label, str) and (final := _GSM8K_FINAL.search(label)):
        return final.group(1)
    return label


def reward_or(result: ScoreResult, unscorable_reward: float) -> float:
    """The result's reward, or ``unscorable_reward`` for a masked result (unscorable through
    no fault of the response) where a trainer's protocol has no null. A result the response
    made unscorable carries its penalty and never gets ``unscorable_reward``."""
    return result.reward if result.reward is not None else unscorable_reward


def result_fields(result: ScoreResult, unscorable_reward: float) -> dict[str, float | str]:
    """The same keys for every sample, no value ever None: ``score``, ``acc`` (1.0 exactly
    when correct: DAPO's group filter and verl's validation metrics read it), status, verdict,
    reason, blame, ``unscorable`` (1.0 when the status is unscorable) and ``masked`` (1.0 when
    the sample should be left out: unscorable and not the response's fault)."""
    return {
        "score": reward_or(result, unscorable_reward),
        "acc": float(result.verdict is Verdict.CORRECT),
        "status": result.status.value,
        "verdict": result.verdict.value if result.verdict is not None else "",
        "reason": result.reason.value,
        "blame": result.blame.value if result.blame is not None else "",
        "unscorable": float(result.status is Status.UNSCORABLE),
        "masked": float(result.masked),
    }
