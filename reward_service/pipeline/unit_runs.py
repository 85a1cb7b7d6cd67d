"""Runs of one short unit: a word, a digit, an equation or a table row repeated back to back.

A *run* is a maximal stretch of bytes ``[start, end)`` that repeats with period ``unit``: every
byte equals the byte ``unit`` positions before it. A model stuck on a short unit (``the, ``,
``0``, ``1 & 0 & 0 \\\\``, ``我再想想，``) writes one long run; healthy reasoning has only short
ones (a rule of ``-`` or ``*``, ``0.333333``, ``\\times 10 \\times 10``). The compression tiers
of ``repetition.py`` miss such loops when they are a few hundred bytes inside kilobytes of
healthy text, because each 2 KB chunk stays mostly novel.

Scan. At sample points ``step`` bytes apart, the window of ``width = max_unit_bytes`` bytes
there is searched for at the next ``width`` offsets (``bytes.find``, C code). Inside a run of
unit ``p <= width`` that window recurs at offset ``p`` (or at a smaller period of the same run,
by Fine and Wilf's theorem) whenever the run goes on ``width + p`` bytes past the sample, so a
run of ``L`` bytes is found when ``step <= L - width - p + 1``. Runs worth finding cover
``max(min_run_bytes, min_repeats * p)`` bytes, hence ``step`` is the least of that bound over
``p`` (177 bytes for the defaults: 256 bytes, 16 repeats, units up to 64 bytes). A found run is
measured exactly by galloping comparisons of slices in both directions. Time is linear: one
``find`` over ``2 * width`` bytes per sample, and the bytes of a run are compared O(1) times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

_FIRST_STRIDE = 64  # bytes compared first when measuring a run; doubled while they agree


@dataclass(frozen=True, slots=True)
class UnitRun:
    """A stretch of ``length`` bytes from ``start`` repeating a unit of ``unit`` bytes."""

    start: int
    length: int
    unit: int

    @property
    def repeats(self) -> float:
        """Copies of the unit in the run (the last one may be partial)."""
        return self.length / self.unit


def unit_runs(
    data: bytes, max_unit_bytes: int, min_run_bytes: int, min_repeats: int = 2
) -> list[UnitRun]:
    """Every run of ``data`` with a unit of at most ``max_unit_bytes`` bytes covering at least
    ``min_run_bytes`` bytes and ``min_repeats`` units (``min_run_bytes >= 2 * max_unit_bytes``),
    in order, each with its smallest unit. Some shorter runs may be listed too."""
    width = max_unit_bytes
    if min_run_bytes < 2 * width:
        raise ValueError("min_run_bytes must be at least 2 * max_unit_bytes")
    step = _sampling_step(width, min_run_bytes, min_repeats)
    found: list[UnitRun] = []
    i = 0
    while i + width < len(data):
        again = data.find(data[i : i + width], i + 1, i + 2 * width)
        if again < 0:
            i += step
            continue
        run = _measure(data, i, again - i)
        if run.length >= max(min_run_bytes, min_repeats * run.unit):
            found.append(run)
        # Samples up to ``end - width - unit`` would find this run again. Two runs of
        # different units overlap by less than the sum of the units (Fine and Wilf), so the
        # next run starts after that point: sampling on from there still meets it.
        i = max(i + step, run.start + run.length - width - run.unit + 1)
    return found


@cache
def _sampling_step(width: int, min_run_bytes: int, min_repeats: int) -> int:
    """The largest sample spacing that meets every run worth finding (module docstring)."""
    return min(
        max(min_run_bytes, min_repeats * unit) - width - unit + 1 for unit in range(1, width + 1)
    )


def _measure(data: bytes, at: int, unit: int) -> UnitRun:
    """The maximal run of period ``unit`` through ``data[at : at + unit]``."""
    after = at + unit
    forward = _agreeing(
        lambda lo, hi: data[at + lo : at + hi] == data[after + lo : after + hi],
        len(data) - after,
    )
    backward = _agreeing(
        lambda lo, hi: data[at - hi : at - lo] == data[after - hi : after - lo],
        at,
    )
    return UnitRun(at - backward, backward + unit + forward, unit)


def _agreeing(same: Callable[[int, int], bool], limit: int) -> int:
    """The largest ``n <= limit`` such that offsets ``[0, n)`` agree, where ``same(lo, hi)``
    compares offsets ``[lo, hi)`` (called only once ``[0, lo)`` is known to agree): galloping,
    then bisection, so the cost is linear in ``n``."""
    agreed, stride = 0, _FIRST_STRIDE
    while agreed < limit:
        stride = min(stride, limit - agreed)
        if not same(agreed, agreed + stride):
            break
        agreed += stride
        stride *= 2
    else:
        return agreed
    low, high = agreed, agreed + stride  # [0, low) agrees, [0, high) does not
    while high - low > 1:
        middle = (low + high) // 2
        if same(low, middle):
            low = middle
        else:
            high = middle
    return low
