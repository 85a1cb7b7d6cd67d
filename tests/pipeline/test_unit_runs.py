"""The unit-run scan against a brute-force reference, and its linear-time guarantee."""

from hypothesis import given, settings
from hypothesis import strategies as st

from reward_service.pipeline.unit_runs import UnitRun, unit_runs


def reference(data: bytes, max_unit: int, min_run: int, repeats: int) -> set[tuple[int, int]]:
    """Every maximal run (start, length) of smallest period p <= max_unit covering at least
    min_run bytes and repeats * p bytes, found by trying every period at every position."""
    found = set()
    for unit in range(1, max_unit + 1):
        j = unit
        while j < len(data):
            if data[j] != data[j - unit]:
                j += 1
                continue
            end = j
            while end < len(data) and data[end] == data[end - unit]:
                end += 1
            start, length = j - unit, end - (j - unit)
            if length >= max(min_run, repeats * unit):
                found.add((start, length))
            j = end
    return found


# Pieces that make runs of many units and lengths, glued with noise between them.
PIECE = st.tuples(
    st.binary(min_size=1, max_size=12).filter(lambda u: len(set(u)) > 0),
    st.integers(1, 80),
    st.binary(max_size=20),
).map(lambda p: p[0] * p[1] + p[2])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(PIECE, min_size=1, max_size=8).map(b"".join),
    st.sampled_from([4, 8, 16]),
    st.sampled_from([2, 3, 6]),
)
def test_every_long_run_is_found_exactly(data: bytes, max_unit: int, repeats: int) -> None:
    min_run = 2 * max_unit + 17
    found = unit_runs(data, max_unit, min_run, repeats)
    expected = reference(data, max_unit, min_run, repeats)
    long_found = {(r.start, r.length) for r in found if r.length >= max(min_run, repeats * r.unit)}
    # each long maximal run is reported, with its exact bounds; nothing else that is long
    assert long_found == expected
    assert [r.start for r in found] == sorted(r.start for r in found)


def test_a_run_reports_its_smallest_unit_and_repeats() -> None:
    data = b"healthy text, " + b"abab" * 100 + b" and more healthy text"
    assert unit_runs(data, 64, 256) == [UnitRun(start=14, length=400, unit=2)]
    assert unit_runs(data, 64, 256)[0].repeats == 200


def test_runs_too_short_or_units_too_long_are_not_reported() -> None:
    assert unit_runs(b"x" * 100, 64, 256) == []
    sentence = b"A sentence of well over sixty-four bytes that repeats itself again. "
    assert len(sentence) > 64
    assert unit_runs(sentence * 20, 64, 256) == []


def test_a_megabyte_loop_is_one_run() -> None:
    data = b"0" * 1_000_000
    assert unit_runs(data, 64, 256) == [UnitRun(start=0, length=1_000_000, unit=1)]
