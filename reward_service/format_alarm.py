"""A warning when most recent responses fail the format filter.

That is almost never the policy: it is a template setting that does not match the model (a
non-reasoning model scored as ``r1``, a prompt that opens ``<think>`` while the request says
otherwise, a tokenizer that strips the think tags as special tokens). Every one of those gives
the whole batch the filter penalty, silently. The alarm watches a sliding window of results
(single-sample traffic included), logs what to check and exports the share as a metric.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Iterable

from reward_service.metrics import Metrics
from reward_service.types import Reason, ScoreResult, Status

log = logging.getLogger("reward_service.format")

WINDOW = 512
"""Results the share is computed over."""
MIN_RESULTS = 32
"""No alarm before this many results (a few malformed rollouts are normal)."""
THRESHOLD = 0.5
"""Share of format-filtered results that raises the alarm."""
QUIET_S = 60.0
"""At most one warning per this many seconds."""

_HINTS: dict[Reason, str] = {
    Reason.FORMAT_MISSING_THINK_CLOSE: (
        "no </think>: a non-reasoning model needs template=plain; a tokenizer that marks the "
        "think tags special strips them when decoding with skip_special_tokens=True"
    ),
    Reason.FORMAT_MISSING_THINK_OPEN: (
        "no <think>: if the chat template opens it in the prompt, send think_in_prompt=true "
        "(or leave it unset)"
    ),
    Reason.FORMAT_MULTIPLE_THINK: (
        "a <think> although think_in_prompt=true: the prompt does not open the span"
    ),
}


class FormatAlarm:
    """Feed it every result; it warns when most of the window was format-filtered."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._window: deque[Reason | None] = deque(maxlen=WINDOW)
        self._last_warning = float("-inf")

    def observe(self, results: Iterable[ScoreResult]) -> None:
        for result in results:
            filtered = (
                result.status is Status.FILTERED
                and result.reason.value.startswith("format.")
                and result.reason is not Reason.FORMAT_TRUNCATED  # the trainer's length limit
            )
            self._window.append(result.reason if filtered else None)
        reasons = Counter(r for r in self._window if r is not None)
        share = sum(reasons.values()) / len(self._window) if self._window else 0.0
        self._metrics.format_filtered_share.set(share)
        if len(self._window) < MIN_RESULTS or share <= THRESHOLD:
            return
        now = time.monotonic()
        if now - self._last_warning < QUIET_S:
            return
        self._last_warning = now
        self._metrics.format_alarms.inc()
        top, _ = reasons.most_common(1)[0]
        log.warning(
            "%.0f%% of the last %d results failed the format filter, mostly %s: %s",
            share * 100,
            len(self._window),
            top.value,
            _HINTS.get(top, "check the template and think_in_prompt settings"),
        )
