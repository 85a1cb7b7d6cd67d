"""Command line: ``reward-service serve`` (HTTP + gRPC), ``reward-service score IN -o OUT``
(offline scoring of JSONL requests) and ``reward-service rescore DUMP -o OUT`` (rollout dumps)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from reward_service.client import AsyncRewardClient
from reward_service.dumps import SHAPES, count_rows, read_dump, shape_with
from reward_service.jsonl import merge, parse_request_line, requests_of, result_line
from reward_service.rescore import build_report, report_markdown, report_plot, rescore
from reward_service.server import serve
from reward_service.service import RewardService
from reward_service.settings import Settings, SymbolicSettings
from reward_service.types import ScoreRequest, ScoreResult, Template

IN_FLIGHT_BATCHES = 2
"""Batches scored concurrently, so workers stay busy while the next batch is read."""


def _batches(stream: BinaryIO, size: int) -> Iterator[list[ScoreRequest | ScoreResult]]:
    batch: list[ScoreRequest | ScoreResult] = []
    for number, raw in enumerate(stream, start=1):
        batch.append(parse_request_line(raw.rstrip(b"\r\n"), number))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _score_lines(
    service: RewardService, parsed: list[ScoreRequest | ScoreResult]
) -> list[ScoreResult]:
    # offline, nobody waits on a connection: allow each batch the longest deadline
    timeout = service.settings.max_timeout_s
    return merge(parsed, await service.score_batch(requests_of(parsed), timeout_s=timeout))


async def _scored_batches(
    service: RewardService, batches: Iterator[list[ScoreRequest | ScoreResult]]
) -> AsyncIterator[list[ScoreResult]]:
    pending: list[asyncio.Task[list[ScoreResult]]] = []
    for batch in batches:
        pending.append(asyncio.create_task(_score_lines(service, batch)))
        if len(pending) >= IN_FLIGHT_BATCHES:
            yield await pending.pop(0)
    for task in pending:
        yield await task


def summary(counts: Counter[tuple[str, str, str]], total: int, seconds: float) -> str:
    """Counts by status, verdict and reason, and throughput, as printed on stderr."""
    lines = [f"scored {total} requests in {seconds:.2f}s ({total / max(seconds, 1e-9):.1f}/s)"]
    for (status, verdict, reason), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {n:8d}  {status:<10} {verdict:<9} {reason}")
    return "\n".join(lines)


async def run_score(
    source: BinaryIO, sink: BinaryIO, settings: Settings, batch_size: int, progress: bool
) -> Counter[tuple[str, str, str]]:
    """Score every line of ``source`` into ``sink``, in order; return the outcome counts."""
    counts: Counter[tuple[str, str, str]] = Counter()
    service = RewardService(settings)
    bar = tqdm(unit="req", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        async for results in _scored_batches(service, _batches(source, batch_size)):
            for result in results:
                sink.write(result_line(result))
                counts[(result.status, result.verdict or "-", result.reason)] += 1
            sink.flush()
            bar.update(len(results))
    finally:
        bar.close()
        await service.aclose()
    return counts


def _score_command(args: argparse.Namespace) -> int:
    overrides = {}
    if args.workers is not None:
        overrides["workers"] = args.workers
    if args.task_timeout is not None:
        overrides["task_timeout_s"] = args.task_timeout
    settings = _with_judge(Settings(), args)
    if args.cache_url is not None:
        settings = settings.model_copy(update={"cache_url": args.cache_url})
    if overrides:
        symbolic = SymbolicSettings(**{**settings.symbolic.model_dump(), **overrides})
        settings = settings.model_copy(update={"symbolic": symbolic})
    with ExitStack() as stack:
        source = (
            sys.stdin.buffer if args.input == "-" else stack.enter_context(open(args.input, "rb"))
        )
        sink = (
            sys.stdout.buffer
            if args.output == "-"
            else stack.enter_context(open(args.output, "wb"))
        )
        started = time.perf_counter()
        progress = sys.stderr.isatty() and not args.quiet
        counts = asyncio.run(run_score(source, sink, settings, args.batch_size, progress))
    if not args.quiet:
        print(summary(counts, counts.total(), time.perf_counter() - started), file=sys.stderr)
    return 0


def _with_judge(settings: Settings, args: argparse.Namespace) -> Settings:
    """``--judge-url`` / ``--judge-model`` over the ``judge`` settings."""
    changes = {k: v for k, v in (("url", args.judge_url), ("model", args.judge_model)) if v}
    if not changes:
        return settings
    judge = settings.judge.model_copy(update=changes)
    return settings.model_copy(update={"judge": judge})


def _serve_command(args: argparse.Namespace) -> int:
    overrides = {
        name: value
        for name, value in (
            ("host", args.host),
            ("http_port", args.http_port),
            ("grpc_port", args.grpc_port),
        )
        if value is not None
    }
    settings = _with_judge(Settings(**overrides), args)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(serve(settings))
    return 0


async def _run_rescore(args: argparse.Namespace, settings: Settings) -> int:
    shape = shape_with(SHAPES[args.shape], dict(_pairs(args.field)))
    think = {"auto": None, "true": True, "false": False}[args.think_in_prompt]
    rows = read_dump(args.dump, shape, template=Template(args.template), think_in_prompt=think)
    total = count_rows(args.dump)
    progress = sys.stderr.isatty() and not args.quiet
    if args.server:
        async with AsyncRewardClient(args.server, token=args.token) as client:
            return await rescore(
                rows,
                args.output,
                client.score_batch,
                batch_size=args.batch_size,
                total=total,
                progress=progress,
            )
    service = RewardService(settings)
    try:

        async def score(requests: list[ScoreRequest]) -> list[ScoreResult]:
            return await service.score_batch(requests, timeout_s=settings.max_timeout_s)

        return await rescore(
            rows, args.output, score, batch_size=args.batch_size, total=total, progress=progress
        )
    finally:
        await service.aclose()


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, column = value.partition("=")
        if not sep or not name or not column:
            raise SystemExit(f"--field takes NAME=COLUMN, got {value!r}")
        pairs.append((name, column))
    return pairs


def _rescore_command(args: argparse.Namespace) -> int:
    settings = _with_judge(Settings(), args)
    if args.cache_url is not None:
        settings = settings.model_copy(update={"cache_url": args.cache_url})
    started = time.perf_counter()
    written = asyncio.run(_run_rescore(args, settings))
    report = build_report(args.output)
    stem = args.output.with_suffix("")
    markdown, plot = Path(f"{stem}.report.md"), Path(f"{stem}.report.png")
    markdown.write_text(report_markdown(report, str(args.dump)), encoding="utf-8")
    report_plot(report, plot)
    if not args.quiet:
        seconds = time.perf_counter() - started
        print(
            f"rescored {written} rows in {seconds:.1f}s ({written / max(seconds, 1e-9):.1f}"
            f"/s); {report.rows} rows in {args.output}; report: {markdown}, {plot}",
            file=sys.stderr,
        )
    return 0


def _judge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--judge-url",
        help="OpenAI-compatible base URL, e.g. http://vllm:8000/v1 (setting: judge.url)",
    )
    parser.add_argument(
        "--judge-model",
        help="judge spec name, built-in or in judge.specs_dir (setting: judge.model)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reward-service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser(
        "serve", help="run the HTTP and gRPC service (settings from REWARD_SERVICE_* variables)"
    )
    serving.add_argument("--host", help="listen address (setting: host)")
    serving.add_argument("--http-port", type=int, help="HTTP port (setting: http_port)")
    serving.add_argument("--grpc-port", type=int, help="gRPC port (setting: grpc_port)")
    _judge_arguments(serving)
    serving.set_defaults(handler=_serve_command)
    score = commands.add_parser(
        "score", help="score JSONL requests offline, one result line per input line"
    )
    score.add_argument("input", help="JSONL requests, '-' for stdin")
    score.add_argument("-o", "--output", required=True, help="JSONL results, '-' for stdout")
    score.add_argument("--batch-size", type=int, default=256)
    score.add_argument("--workers", type=int, help="verifier worker processes")
    score.add_argument("--task-timeout", type=float, help="seconds per verification task")
    score.add_argument("--cache-url", help="Redis for the score cache (setting: cache_url)")
    score.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    _judge_arguments(score)
    score.set_defaults(handler=_score_command)
    again = commands.add_parser(
        "rescore", help="rescore a rollout dump (JSONL or Parquet), resumable, with a report"
    )
    again.add_argument("dump", type=Path, help="the dump (.jsonl or .parquet)")
    again.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="results JSONL (appended to; rows already in it are skipped)",
    )
    again.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="verl",
        help="which trainer wrote the dump (default verl)",
    )
    again.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=COLUMN",
        help="read NAME (response, gold, prompt, reward, ...) from COLUMN",
    )
    again.add_argument("--template", choices=[t.value for t in Template], default="r1")
    again.add_argument(
        "--think-in-prompt",
        choices=["auto", "true", "false"],
        default="auto",
        help="auto: read it from the prompt column",
    )
    again.add_argument("--server", help="score against a running service (http:// or grpc://)")
    again.add_argument("--token", help="bearer token for --server")
    again.add_argument("--batch-size", type=int, default=512)
    again.add_argument("--cache-url", help="Redis for the score cache (in-process scoring)")
    again.add_argument("-q", "--quiet", action="store_true")
    _judge_arguments(again)
    again.set_defaults(handler=_rescore_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        # whoever read standard output has gone (`score … -o - | head`): stop quietly, as other
        # command-line tools do, and keep Python from complaining again when it exits
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
