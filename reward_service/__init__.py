"""reward-service: rewards for RL post-training of math-reasoning LLMs.

Two-stage reward (Confucius3-Math): a filter stage (format, repetition) and a correctness stage
(symbolic checking, LLM judge). The public surface is the service, its settings and the domain
types; everything else is internal.
"""

__version__ = "0.1.0"

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
