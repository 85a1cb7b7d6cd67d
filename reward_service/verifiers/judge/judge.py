"""The LLM judge: prompt → constrained reply → strictly parsed verdict → decision.

Outcomes: per-part verdicts combine like symbolic ones (all right ⇒ correct; some ⇒ partial,
rewarded by the reward table's partial policy); a right final answer with a process the judge
calls flawed ⇒ incorrect (``judge.process_flawed``). A judge that is down, slow past the
deadline, or whose reply does not parse ⇒ undecided (``unscorable``), never ``incorrect``. With
``samples`` > 1 the judge is asked that many times (different seeds) and must agree, else the
service abstains (``judge_disagreement``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from reward_service.types import Blame, Reason, Verdict
from reward_service.verdicts import Decision
from reward_service.verifiers.judge.client import (
    ErrorKind,
    JudgeClient,
    JudgeError,
    JudgeTimeout,
    JudgeUnavailable,
)
from reward_service.verifiers.judge.parsers import PARSERS, JudgeVerdict, UnparsableVerdict
from reward_service.verifiers.judge.prompt import build_messages
from reward_service.verifiers.judge.spec import JudgeSpec


@dataclass(frozen=True, slots=True)
class JudgeItem:
    """What the judge sees of one request (the response text already chosen per the spec)."""

    problem: str
    reference: str
    parts: int
    response: str
    final_answer: str = ""
    """The final answer the extractor found in the response ("" when none was found)."""


class Judge:
    def __init__(
        self, spec: JudgeSpec, client: JudgeClient, samples: int, sample_temperature: float
    ) -> None:
        self.spec = spec
        self._client = client
        self._samples = samples
        self._temperature = sample_temperature
        self._parser = PARSERS[spec.parser]

    @property
    def tag(self) -> str:
        """Everything about the judge that can change a verdict (part of cache keys)."""
        s = self.spec
        return (
            f"{s.name}|{s.served_model}|{s.template_version}|{s.parser}|"
            f"{s.sampling.model_dump_json()}|samples={self._samples}"
        )

    async def decide(self, item: JudgeItem, deadline: float) -> Decision:
        messages = build_messages(
            self.spec,
            problem=item.problem,
            reference=item.reference,
            parts=item.parts,
            response=item.response,
            final_answer=item.final_answer,
        )
        constraint = self._parser.constraint(item.parts)
        sampling = self.spec.sampling
        if self._samples == 1:
            calls = [(sampling.seed, sampling.temperature)]
        else:
            calls = [(seed, self._temperature) for seed in range(self._samples)]
        try:
            replies = await asyncio.gather(
                *(
                    self._client.complete(
                        self.spec,
                        messages,
                        constraint,
                        deadline,
                        seed=seed,
                        temperature=temperature,
                    )
                    for seed, temperature in calls
                )
            )
        except JudgeTimeout:
            return Decision(None, Reason.TIMEOUT, blame=Blame.INFRASTRUCTURE)
        except JudgeUnavailable:
            return Decision(None, Reason.JUDGE_UNAVAILABLE)
        try:
            verdicts = [self._parser.parse(reply, item.parts) for reply in replies]
        except UnparsableVerdict as error:
            self._client.record_error(
                JudgeError(f"reply does not parse: {error}", ErrorKind.UNPARSABLE)
            )
            return Decision(None, Reason.JUDGE_UNPARSABLE)
        if any(v != verdicts[0] for v in verdicts):
            return Decision(None, Reason.JUDGE_DISAGREEMENT)
        return _decision(verdicts[0])

    async def aclose(self) -> None:
        await self._client.aclose()


def _decision(verdict: JudgeVerdict) -> Decision:
    parts = tuple(Verdict.CORRECT if ok else Verdict.INCORRECT for ok in verdict.parts)
    part_verdicts = parts if len(parts) > 1 else None
    right = sum(verdict.parts)
    if verdict.invalid:
        return Decision(Verdict.INCORRECT, Reason.JUDGE_INVALID_ANSWER, part_verdicts, 0.0)
    if right == len(parts):
        if verdict.process_sound is False:
            return Decision(Verdict.INCORRECT, Reason.JUDGE_PROCESS_FLAWED, part_verdicts, 0.0)
        return Decision(Verdict.CORRECT, Reason.JUDGE_CORRECT, part_verdicts, 1.0)
    if right == 0:
        return Decision(Verdict.INCORRECT, Reason.JUDGE_INCORRECT, part_verdicts, 0.0)
    return Decision(
        Verdict.PARTIAL, Reason.ANSWER_SOME_PARTS_WRONG, part_verdicts, right / len(parts)
    )
