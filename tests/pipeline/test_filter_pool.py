import asyncio
import glob
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.fidelity import part_of
from reward_service.pipeline.filter_pool import FilterPool
from reward_service.pipeline.prepare import FilterInput, filter_verdict
from reward_service.pipeline.spans import locate_spans, opened_in_prompt
from reward_service.settings import RepetitionSettings
from reward_service.types import Reason, Template
from tests.conftest import CORPUS, load_corpus

SETTINGS = RepetitionSettings()
LOOP = "So the answer is 12, let me check that again.\n" * 400


def _inputs() -> list[FilterInput]:
    """The dev corpus responses as they are, with a loop in their thinking span, and with a
    second ``<think>``: passed, ``repetition.thinking`` and ``format.*`` verdicts."""
    responses = [
        row["response"]
        for path in sorted(glob.glob(str(CORPUS / "*.jsonl")))
        for row in load_corpus(Path(path).name)
        if part_of(str(row["id"])) == "dev" and "</think>" in row["response"]
    ]
    variants = [
        variant
        for response in responses[:300]
        for variant in (
            response,
            response.replace("</think>", LOOP + "</think>", 1),
            "<think>" + response,
        )
    ]
    items = []
    for response in variants:
        in_prompt = opened_in_prompt(response, None)
        layout = locate_spans(response, Template.R1, in_prompt)
        if not isinstance(layout, Reason):
            items.append(FilterInput(response, Template.R1, in_prompt, layout.thinking))
    return items


INPUTS = _inputs()


@pytest.fixture
def pool() -> Iterator[FilterPool]:
    filters = FilterPool(2, SETTINGS)
    yield filters
    filters.close()


def test_processes_give_the_in_process_verdicts(pool: FilterPool) -> None:
    expected = [filter_verdict(item, SETTINGS) for item in INPUTS]
    assert {Reason.REPETITION_THINKING, None} <= set(expected)
    assert any(isinstance(v, Reason) and v.value.startswith("format") for v in expected)
    assert asyncio.run(pool.verdicts(INPUTS)) == expected
    assert len(pool.pids()) == 2
    assert asyncio.run(FilterPool(0, SETTINGS).verdicts(INPUTS)) == expected


def test_a_killed_filter_process_is_replaced_and_the_batch_answers(pool: FilterPool) -> None:
    expected = [filter_verdict(item, SETTINGS) for item in INPUTS]
    assert asyncio.run(pool.verdicts(INPUTS)) == expected
    killed = pool.pids()[0]
    os.kill(killed, signal.SIGKILL)
    gone_by = time.monotonic() + 10
    while killed in pool.pids() and time.monotonic() < gone_by:  # until the pool has seen it
        time.sleep(0.05)
    assert asyncio.run(pool.verdicts(INPUTS)) == expected
    assert killed not in pool.pids()
    assert len(pool.pids()) == 2


def test_a_small_batch_is_filtered_in_this_process(pool: FilterPool) -> None:
    assert asyncio.run(pool.verdicts(INPUTS[:1])) == [filter_verdict(INPUTS[0], SETTINGS)]
    assert pool.pids() == []


def test_warm_up_starts_every_filter_process_before_the_first_batch(pool: FilterPool) -> None:
    asyncio.run(pool.warm_up())
    started = sorted(pool.pids())
    assert len(started) == 2
    assert asyncio.run(pool.verdicts(INPUTS)) == [filter_verdict(i, SETTINGS) for i in INPUTS]
    assert sorted(pool.pids()) == started  # the batch ran on the processes warm-up started


def test_warm_up_without_processes_starts_nothing() -> None:
    filters = FilterPool(0, SETTINGS)
    asyncio.run(filters.warm_up())
    assert filters.pids() == []
