"""reward-service: rewards for RL post-training of math-reasoning LLMs.

Two-stage reward (Confucius3-Math): a filter stage (format, repetition) and a correctness stage
(symbolic checking, LLM judge). The public surface is the service, its settings and the domain
types; everything else is internal.

Names are imported on first use, so a trainer process that only needs the client or an
adapter (``reward_service.client``, ``reward_service.adapters.*``) never loads the scoring
stack (sympy, Math-Verify, FastAPI).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_HOME = {
    "PartialPolicy": "reward_service.rewards",
    "RewardTable": "reward_service.rewards",
    "RewardService": "reward_service.service",
    "Settings": "reward_service.settings",
    **{
        name: "reward_service.types"
        for name in (
            "Blame",
            "GoldParts",
            "PartResult",
            "Provenance",
            "Reason",
            "Route",
            "RouteHint",
            "ScoreRequest",
            "ScoreResult",
            "Status",
            "Template",
            "Verdict",
        )
    },
}

if TYPE_CHECKING:
    from reward_service.rewards import PartialPolicy, RewardTable
    from reward_service.service import RewardService
    from reward_service.settings import Settings
    from reward_service.types import (
        Blame,
        GoldParts,
        PartResult,
        Provenance,
        Reason,
        Route,
        RouteHint,
        ScoreRequest,
        ScoreResult,
        Status,
        Template,
        Verdict,
    )


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'reward_service' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


__all__ = [
    "Blame",
    "GoldParts",
    "PartResult",
    "PartialPolicy",
    "Provenance",
    "Reason",
    "RewardService",
    "RewardTable",
    "Route",
    "RouteHint",
    "ScoreRequest",
    "ScoreResult",
    "Settings",
    "Status",
    "Template",
    "Verdict",
    "__version__",
]
