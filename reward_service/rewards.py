"""The reward table: how a status and verdict become a number (DESIGN.md §1)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from reward_service.types import Blame, Reason, Status, Verdict


class PartialPolicy(StrEnum):
    """What a multi-part answer with some (not all) parts correct earns."""

    INCORRECT = "incorrect"
    """The ``incorrect`` reward (the paper's all-or-nothing rule)."""
    FRACTIONAL = "fractional"
    """Linear between ``incorrect`` and ``correct`` by the fraction of correct parts."""


class RewardTable(BaseModel):
    """Reward per outcome. Defaults follow Confucius3-Math: +1 correct, -1 otherwise.

    An unscorable result the response caused (``blame: response``) gets ``response_fault``
    (default: the ``incorrect`` reward), so being unscorable on purpose never pays more than a
    wrong answer; any other unscorable result gets ``None`` (mask it).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    correct: float = 1.0
    incorrect: float = -1.0
    filtered: float = -1.0
    partial_policy: PartialPolicy = PartialPolicy.INCORRECT
    truncated: float | None = None
    """Reward of a response the trainer marked truncated (``format.truncated``); None means
    the ``filtered`` reward."""
    response_fault: float | None = None
    """Reward of an unscorable result caused by the response (too large, an answer that times
    out or crashes the verifier); None means the ``incorrect`` reward. Keep it ≤ ``incorrect``."""

    @model_validator(mode="after")
    def _no_reward_for_tricks(self) -> RewardTable:
        if self.response_fault is not None and self.response_fault > self.incorrect:
            raise ValueError(
                f"response_fault ({self.response_fault}) above incorrect ({self.incorrect}) "
                "would pay a policy for making its answer unscorable"
            )
        return self

    def reward(
        self,
        status: Status,
        verdict: Verdict | None,
        fraction_correct: float = 0.0,
        blame: Blame | None = None,
        reason: Reason | None = None,
    ) -> float | None:
        """The reward for an outcome; ``fraction_correct`` is only read for ``partial``,
        ``blame`` only for ``unscorable``, ``reason`` only for ``filtered``."""
        if status is Status.UNSCORABLE:
            if blame is Blame.RESPONSE:
                return self.incorrect if self.response_fault is None else self.response_fault
            return None
        if status is Status.FILTERED:
            if reason is Reason.FORMAT_TRUNCATED and self.truncated is not None:
                return self.truncated
            return self.filtered
        if verdict is Verdict.CORRECT:
            return self.correct
        if verdict is Verdict.PARTIAL and self.partial_policy is PartialPolicy.FRACTIONAL:
            return self.incorrect + (self.correct - self.incorrect) * fraction_correct
        return self.incorrect
