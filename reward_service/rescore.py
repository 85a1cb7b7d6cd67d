"""Offline rescoring of rollout dumps: stream, score, write, resume.

Each output line is one dump row: ``{"source": FILE, "position": N, "data_source": …,
"stored_reward": r, "result": {...}}``; a row passed through by ``--only-changed`` has
``"result": null`` and its ``provenance_hash``. A rerun reads the (source, position) pairs
already in the output and skips them, so an interrupted run resumes where it stopped; a
fingerprint of the dump beside the output (``OUT.fingerprint.json``) makes a rerun against a
different dump fail instead of mixing two dumps' results. The report is
:mod:`reward_service.rescore_report`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from reward_service.dumps import DumpRow
from reward_service.jsonl import merge, requests_of
from reward_service.provenance_hash import provenance_hash
from reward_service.types import ScoreRequest, ScoreResult

Scorer = Callable[[list[ScoreRequest]], Awaitable[list[ScoreResult]]]
IN_FLIGHT_BATCHES = 2
SourcedRow = tuple[str, DumpRow]
"""A dump row and the name of the file it came from."""


class ForeignOutput(RuntimeError):
    """The output was written for a different dump (or by a run that left no fingerprint)."""


def fingerprint_path(output: Path) -> Path:
    return Path(f"{output.with_suffix('')}.fingerprint.json")


def parts_path(output: Path) -> Path:
    """Where the Ray engine keeps per-partition results and summaries."""
    return Path(f"{output.with_suffix('')}.parts")


def claim_output(output: Path, prints: dict[str, str], *, restart: bool) -> None:
    """Make ``output`` this dump's: refuse (:class:`ForeignOutput`) to resume into results of
    another dump, or, with ``restart``, delete them; then record the dump's fingerprint."""
    marker, parts = fingerprint_path(output), parts_path(output)
    started = (output.exists() and output.stat().st_size > 0) or parts.exists()
    if started and not restart:
        if not marker.exists():
            raise ForeignOutput(
                f"{output} has results but no {marker.name}: not resuming into it "
                "(--restart to start over)"
            )
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        if recorded != prints:
            changed = sorted(set(recorded.items()) ^ set(prints.items()))
            raise ForeignOutput(
                f"{output} holds results of a different dump (first difference: "
                f"{changed[0][0]}); --restart to start over"
            )
    if restart:
        output.unlink(missing_ok=True)
        shutil.rmtree(parts, ignore_errors=True)
    marker.write_text(json.dumps(prints, sort_keys=True) + "\n", encoding="utf-8")


def output_line(
    source: str,
    position: int,
    *,
    data_source: str | None,
    stored_reward: float | None,
    stored_provenance: str | None,
    result: dict[str, Any] | None,
) -> bytes:
    """One output line; ``result`` None for a row passed through with current provenance."""
    line: dict[str, Any] = {
        "source": source,
        "position": position,
        "data_source": data_source,
        "stored_reward": stored_reward,
        "result": result,
    }
    if result is None:
        line["provenance_hash"] = stored_provenance
    return json.dumps(line, ensure_ascii=False).encode() + b"\n"


def row_line(source: str, row: DumpRow, result: dict[str, Any] | None) -> bytes:
    """:func:`output_line` for a dump row."""
    return output_line(
        source,
        row.position,
        data_source=row.data_source,
        stored_reward=row.stored_reward,
        stored_provenance=row.stored_provenance,
        result=result,
    )


def drop_torn_tail(output: Path) -> None:
    """Cut a last line an interrupted run left without its newline, so appends stay lines."""
    if not output.exists() or output.stat().st_size == 0:
        return
    with output.open("rb+") as stream:
        stream.seek(-1, 2)
        if stream.read(1) == b"\n":
            return
        data_end = stream.seek(0, 2)
        step = min(data_end, 1 << 16)
        position = data_end
        while position > 0:  # find the last newline, reading backwards
            start = max(0, position - step)
            stream.seek(start)
            chunk = stream.read(position - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                stream.truncate(start + cut + 1)
                return
            position = start
        stream.truncate(0)


def done_rows(output: Path) -> set[tuple[str, int]]:
    """(source, position) pairs already written by an earlier run (a torn last line is
    ignored)."""
    if not output.exists():
        return set()
    seen: set[tuple[str, int]] = set()
    with output.open("rb") as stream:
        for raw in stream:
            try:
                line = json.loads(raw)
                seen.add((str(line["source"]), int(line["position"])))
            except (ValueError, KeyError, TypeError):
                continue
    return seen


def _batches(
    rows: Iterator[SourcedRow], skip: set[tuple[str, int]], size: int
) -> Iterator[list[SourcedRow]]:
    batch: list[SourcedRow] = []
    for sourced in rows:
        if (sourced[0], sourced[1].position) in skip:
            continue
        batch.append(sourced)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def unchanged(row: DumpRow, current: str | None) -> bool:
    """Whether ``row`` already holds a result with the ``current`` provenance hash."""
    return current is not None and row.stored_provenance == current


Scored = list[tuple[str, DumpRow, dict[str, Any] | None]]


async def _scored(rows: list[SourcedRow], score: Scorer, current: str | None) -> Scored:
    todo = [(source, row) for source, row in rows if not unchanged(row, current)]
    staged = [row.request for _, row in todo]
    requests = requests_of(staged)
    results = iter(merge(staged, await score(requests) if requests else []))
    return [
        (source, row, None if unchanged(row, current) else next(results).model_dump(mode="json"))
        for source, row in rows
    ]


async def _pipelined(
    batches: Iterator[list[SourcedRow]], score: Scorer, current: str | None
) -> AsyncIterator[Scored]:
    pending: list[asyncio.Task[Scored]] = []
    for batch in batches:
        pending.append(asyncio.create_task(_scored(batch, score, current)))
        if len(pending) >= IN_FLIGHT_BATCHES:
            yield await pending.pop(0)
    for task in pending:
        yield await task


async def current_provenance(score: Scorer) -> str | None:
    """The provenance hash of what ``score`` scores with, read off one probe result."""
    probe = ScoreRequest(response="<think>probe</think>\\boxed{1}", gold="1")
    return provenance_hash((await score([probe]))[0].provenance)


async def rescore(
    rows: Iterator[SourcedRow],
    output: Path,
    score: Scorer,
    *,
    batch_size: int,
    total: int | None,
    progress: bool,
    only_changed: str | None = None,
) -> int:
    """Score every row not yet in ``output`` and append it; returns how many lines were
    written. With ``only_changed`` (the current provenance hash), rows that already hold a
    result with that hash are written as passed through, unscored."""
    drop_torn_tail(output)
    skip = done_rows(output)
    written = 0
    bar = tqdm(
        total=total,
        initial=len(skip),
        unit="row",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        with output.open("ab") as sink:
            batches = _batches(rows, skip, batch_size)
            async for scored in _pipelined(batches, score, only_changed):
                sink.write(b"".join(row_line(*item) for item in scored))
                sink.flush()
                written += len(scored)
                bar.update(len(scored))
    finally:
        bar.close()
    return written
