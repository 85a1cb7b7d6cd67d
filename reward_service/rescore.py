"""Offline rescoring of rollout dumps: stream, score, write, resume, report.

Each output line is one dump row: ``{"position": N, "stored_reward": r, "result": {...}}``.
A rerun reads the positions already in the output and skips them, so an interrupted run
resumes where it stopped. The report (Markdown + PNG) counts results by status, verdict,
reason and route, and reward flips against the rewards stored in the dump.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from reward_service.dumps import DumpRow
from reward_service.jsonl import merge, requests_of
from reward_service.types import ScoreRequest, ScoreResult

Scorer = Callable[[list[ScoreRequest]], Awaitable[list[ScoreResult]]]
IN_FLIGHT_BATCHES = 2


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


def done_positions(output: Path) -> set[int]:
    """Positions already written by an earlier run (a torn last line is ignored)."""
    if not output.exists():
        return set()
    seen: set[int] = set()
    with output.open("rb") as stream:
        for raw in stream:
            try:
                seen.add(int(json.loads(raw)["position"]))
            except (ValueError, KeyError, TypeError):
                continue
    return seen


def _batches(rows: Iterator[DumpRow], skip: set[int], size: int) -> Iterator[list[DumpRow]]:
    batch: list[DumpRow] = []
    for row in rows:
        if row.position in skip:
            continue
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _scored(rows: list[DumpRow], score: Scorer) -> list[tuple[DumpRow, ScoreResult]]:
    staged = [row.request for row in rows]
    requests = requests_of(staged)
    results = merge(staged, await score(requests) if requests else [])
    return list(zip(rows, results, strict=True))


async def _pipelined(
    batches: Iterator[list[DumpRow]], score: Scorer
) -> AsyncIterator[list[tuple[DumpRow, ScoreResult]]]:
    pending: list[asyncio.Task[list[tuple[DumpRow, ScoreResult]]]] = []
    for batch in batches:
        pending.append(asyncio.create_task(_scored(batch, score)))
        if len(pending) >= IN_FLIGHT_BATCHES:
            yield await pending.pop(0)
    for task in pending:
        yield await task


async def rescore(
    rows: Iterator[DumpRow],
    output: Path,
    score: Scorer,
    *,
    batch_size: int,
    total: int | None,
    progress: bool,
) -> int:
    """Score every row not yet in ``output`` and append it; returns how many were scored."""
    drop_torn_tail(output)
    skip = done_positions(output)
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
            async for scored in _pipelined(_batches(rows, skip, batch_size), score):
                for row, result in scored:
                    line = {
                        "position": row.position,
                        "stored_reward": row.stored_reward,
                        "result": result.model_dump(mode="json"),
                    }
                    sink.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
                sink.flush()
                written += len(scored)
                bar.update(len(scored))
    finally:
        bar.close()
    return written


@dataclass
class Report:
    rows: int = 0
    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(status, verdict, reason)"""
    routes: Counter[str] = field(default_factory=Counter)
    flips: Counter[str] = field(default_factory=Counter)
    """up, down, same, became_unscorable, newly_scored, no_stored_reward, still_unscorable"""
    flip_reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(flip, reason) for rows whose reward changed"""

    def add(self, stored: float | None, result: dict[str, Any]) -> None:
        self.rows += 1
        status, reason = result["status"], result["reason"]
        self.outcomes[(status, result["verdict"] or "-", reason)] += 1
        self.routes[result["route"]] += 1
        flip = _flip(stored, result["reward"])
        self.flips[flip] += 1
        if flip in ("up", "down", "became_unscorable", "newly_scored"):
            self.flip_reasons[(flip, reason)] += 1


def _flip(stored: float | None, new: float | None) -> str:
    if stored is None:
        return "no_stored_reward" if new is not None else "still_unscorable"
    if new is None:
        return "became_unscorable"
    if abs(new - stored) < 1e-9:
        return "same"
    return "up" if new > stored else "down"


def build_report(output: Path) -> Report:
    """Counts over every line of the output (this run's and earlier runs')."""
    report = Report()
    with output.open("rb") as stream:
        for raw in stream:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            report.add(line["stored_reward"], line["result"])
    return report


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def report_markdown(report: Report, source: str) -> str:
    lines = [f"# Rescoring report: {source}", "", f"{report.rows} rows.", "", "## Results", ""]
    lines += _table(
        ["count", "status", "verdict", "reason"],
        [(n, *key) for key, n in report.outcomes.most_common()],
    )
    lines += ["", "## Routes", ""]
    lines += _table(["route", "count"], report.routes.most_common())
    lines += ["", "## Reward flips against the dump", ""]
    lines += _table(["flip", "count"], report.flips.most_common())
    lines += ["", "## Why rewards changed", ""]
    lines += _table(
        ["flip", "reason", "count"], [(*key, n) for key, n in report.flip_reasons.most_common()]
    )
    return "\n".join(lines) + "\n"


def report_plot(report: Report, path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - plotting only when a report is written

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    outcomes = Counter()  # type: Counter[str]
    for (status, _, reason), n in report.outcomes.items():
        outcomes[f"{status}: {reason}"] += n
    names, counts = zip(*outcomes.most_common(12), strict=True) if outcomes else ((), ())
    left.barh(list(names)[::-1], list(counts)[::-1], color="#4c72b0")
    left.set_title("results by status and reason")
    flips = report.flips.most_common()
    right.bar([f for f, _ in flips], [n for _, n in flips], color="#dd8452")
    right.set_title("reward flips against the dump")
    right.tick_params(axis="x", rotation=30)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
