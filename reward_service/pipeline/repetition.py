"""Repetition filter: flags degenerate loops in a span, in linear time, for any script.

Rule. The span is encoded as UTF-8 and fed, ``chunk_bytes`` at a time, through one streaming
DEFLATE compressor (zlib level 6, 32 KB window). After each chunk the compressor is flushed, so
the bytes it emits measure how *novel* that chunk is given up to 32 KB of preceding text. A chunk
is *repeated* when it costs less than ``novelty_threshold`` of its own size. The span is
repetitive when a run of consecutive repeated chunks covers at least ``min_run_bytes``.

Why this shape. A model stuck in a loop (a sentence, a paragraph or a short cycle repeated until
the length limit, with or without a counter ticking in it) produces long stretches that DEFLATE
encodes almost for free, whatever the language: no tokenisation or whitespace assumptions, so
Chinese text works the same as English. Healthy reasoning re-uses phrases and formulas but keeps
adding new content, so its chunks cost 30-60 % of their size and a run of cheap chunks stays short.

Thresholds (defaults in ``RepetitionSettings``): 512-byte chunks, novelty below 0.20, a run of
at least 4096 bytes (8 chunks). Calibration on ``../shared/corpus`` (``bench/repetition.py``):
the longest run in any of the 967 real chain-of-thought responses (Qwen2.5-Math, GPT-4 GAOKAO)
is 2048 bytes, half the threshold; English and Chinese sentence loops, paragraph loops, counter
loops and two-character cycles of 5 KB or more are all flagged. A loop shorter than the run
threshold is not flagged: the filter targets degenerate generation, not a repeated phrase.

Cost: one pass of zlib (C code, ~2 ms per 100 K characters here) plus a Python step per chunk.
"""

from __future__ import annotations

import zlib

from reward_service.settings import RepetitionSettings

_ZLIB_LEVEL = 6
_RAW_DEFLATE = -15  # raw stream, 32 KB window, no header


def longest_repeated_run(text: str, settings: RepetitionSettings) -> int:
    """Length in bytes of the longest run of consecutive repeated chunks of ``text``."""
    data = text.encode("utf-8", errors="replace")
    chunk = settings.chunk_bytes
    limit = settings.novelty_threshold * chunk
    compressor = zlib.compressobj(_ZLIB_LEVEL, zlib.DEFLATED, _RAW_DEFLATE)
    best = run = 0
    view = memoryview(data)
    for start in range(0, len(data) - chunk + 1, chunk):
        cost = len(compressor.compress(view[start : start + chunk]))
        cost += len(compressor.flush(zlib.Z_SYNC_FLUSH))
        if cost < limit:
            run += chunk
            best = max(best, run)
        else:
            run = 0
    return best


def is_repetitive(text: str, settings: RepetitionSettings) -> bool:
    """True when ``text`` contains a degenerate loop by the rule in this module's docstring."""
    if len(text) * 4 < settings.min_run_bytes:  # UTF-8 needs at most 4 bytes per character
        return False
    return longest_repeated_run(text, settings) >= settings.min_run_bytes
