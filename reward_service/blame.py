"""Who caused an unscorable result, by reason (DESIGN.md §1: "who caused it decides what a
trainer gets").

Most reasons have one cause. ``timeout`` has two, so the place that sees it decides: a
comparison killed at the *worker's* deadline (or quarantined after one) was made slow by the
answer — the response — while the *call's* deadline or a slow judge is the infrastructure.
"""

from __future__ import annotations

from reward_service.types import Blame, Reason, Status

DEFAULT_BLAME: dict[Reason, Blame] = {
    Reason.TOO_LARGE: Blame.RESPONSE,
    Reason.VERIFIER_ERROR: Blame.RESPONSE,
    Reason.TIMEOUT: Blame.RESPONSE,
    Reason.INVALID_GOLD: Blame.DATA,
    Reason.INVALID_REQUEST: Blame.DATA,
    Reason.JUDGE_NOT_CONFIGURED: Blame.INFRASTRUCTURE,
    Reason.JUDGE_UNAVAILABLE: Blame.INFRASTRUCTURE,
    Reason.JUDGE_UNPARSABLE: Blame.INFRASTRUCTURE,
    Reason.JUDGE_DISAGREEMENT: Blame.INFRASTRUCTURE,
    Reason.INTERNAL_ERROR: Blame.INFRASTRUCTURE,
    Reason.WORKER_LOST: Blame.INFRASTRUCTURE,
    Reason.SHUTDOWN: Blame.INFRASTRUCTURE,
}
"""The cause of each unscorable reason where the reason alone tells it; ``timeout`` defaults
to the response (the verifier's own deadline) and is overridden where the call's deadline or
the judge ran out."""

MASK_PRIORITY: dict[Blame, int] = {Blame.DATA: 0, Blame.INFRASTRUCTURE: 1, Blame.RESPONSE: 2}
"""When several causes meet in one result, the one that masks wins: a broken gold or a lost
worker is not the response's fault even if its answer was also slow."""


def blame_for(status: Status, reason: Reason, blame: Blame | None = None) -> Blame | None:
    """The blame of a result: None unless unscorable; ``blame`` when the caller knows it."""
    if status is not Status.UNSCORABLE:
        return None
    return blame if blame is not None else DEFAULT_BLAME.get(reason, Blame.INFRASTRUCTURE)
