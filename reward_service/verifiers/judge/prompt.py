"""Building the judge prompt: the spec's template filled with sanitised untrusted text (see
:mod:`reward_service.verifiers.judge.sanitize`)."""

from __future__ import annotations

from collections.abc import Sequence
from string import Template

from reward_service.verifiers.judge.sanitize import sanitize, sanitize_data
from reward_service.verifiers.judge.spec import JudgeSpec

NO_ANSWER = "(none found)"


def reference_text(gold: str | Sequence[str | list[str]], multipart: bool) -> str:
    """The gold answer as the judge reads it: alternatives joined by "or", parts numbered."""
    if isinstance(gold, str):
        return gold
    if multipart:
        return "\n".join(
            f"({i}) {' or '.join(part) if isinstance(part, list) else part}"
            for i, part in enumerate(gold, start=1)
        )
    return " or ".join(str(g) for g in gold)


def build_messages(
    spec: JudgeSpec,
    *,
    problem: str,
    reference: str,
    parts: int,
    response: str,
    final_answer: str = "",
) -> list[dict[str, str]]:
    """System and user messages: the shared part (instructions, problem, reference) first, the
    sanitised response (and extracted final answer) last. ``problem`` and ``reference`` are
    data no policy writes: only folded and rid of markers (they may come from scraped data)."""
    fields = {
        "problem": sanitize_data(problem, 20_000),
        "reference": sanitize_data(reference, 20_000),
        "parts": str(parts),
        "response": sanitize(response, spec.max_response_chars),
        "answer": sanitize(final_answer, 2_000).strip() or NO_ANSWER,
    }
    user = Template(spec.prompt.shared).safe_substitute(fields) + Template(
        spec.prompt.rollout
    ).safe_substitute(fields)
    messages = [{"role": "user", "content": user}]
    if spec.prompt.system:
        messages.insert(0, {"role": "system", "content": spec.prompt.system})
    return messages
