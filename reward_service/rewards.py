"""The reward table: how a status and verdict become a number (DESIGN.md §1)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from reward_service.types import Status, Verdict


class PartialPolicy(StrEnum):
    """What a multi-part answer with some (not all) parts correct earns."""

    INCORRECT = "incorrect"
    """The ``incorrect`` reward (the paper's all-or-nothing rule)."""
    FRACTIONAL = "fractional"
    """Linear between ``incorrect`` and ``correct`` by the fraction of correct parts."""


class RewardTable(BaseModel):
    """Reward per outcome. Defaults follow Confucius3-Math: +1 correct, -1 otherwise.

    Unscorable results never get a reward from this table: they get ``None``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    correct: float = 1.0
    incorrect: float = -1.0
    filtered: float = -1.0
    partial_policy: PartialPolicy = PartialPolicy.INCORRECT

    def reward(
        self, status: Status, verdict: Verdict | None, fraction_correct: float = 0.0
    ) -> float | None:
        """The reward for an outcome; ``fraction_correct`` is only read for ``partial``."""
        if status is Status.UNSCORABLE:
            return None
        if status is Status.FILTERED:
            return self.filtered
        if verdict is Verdict.CORRECT:
            return self.correct
        if verdict is Verdict.PARTIAL and self.partial_policy is PartialPolicy.FRACTIONAL:
            return self.incorrect + (self.correct - self.incorrect) * fraction_correct
        return self.incorrect
