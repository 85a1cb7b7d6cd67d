"""Command line: ``reward-service serve`` (HTTP + gRPC), ``reward-service score IN -o OUT``
(offline scoring of JSONL requests) and ``reward-service rescore DUMP -o OUT`` (rollout dumps)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO, cast

from pydantic import ValidationError
from tqdm import tqdm

from reward_service import __version__
from reward_service.batch_scorer import ScorerOptions
from reward_service.client import AsyncRewardClient
from reward_service.config import (
    UnknownSetting,
    add_settings_flags,
    check_environment,
    effective,
    settings_from,
)
from reward_service.dump_files import DumpFile, NoDumpFiles, dump_files, fingerprint
from reward_service.dumps import SHAPES, Shape, count_rows, read_dump, shape_with
from reward_service.jsonl import merge, parse_request_line, requests_of, result_line
from reward_service.logs import configure_logging
from reward_service.rescore import (
    ForeignOutput,
    Scorer,
    SourcedRow,
    claim_output,
    current_provenance,
    rescore,
)
from reward_service.rescore_report import Report, build_report, report_markdown, report_plot
from reward_service.server import serve
from reward_service.service import RewardService
from reward_service.settings import Settings, SymbolicSettings
from reward_service.types import ScoreRequest, ScoreResult, Template

log = logging.getLogger("reward_service")

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
    settings = _with_judge(settings_from(args, args.settings_flags), args)
    _start_logging(settings, quiet=True)
    if overrides:
        symbolic = SymbolicSettings(**{**settings.symbolic.model_dump(), **overrides})
        settings = settings.model_copy(update={"symbolic": symbolic})
    with ExitStack() as stack:
        source = (
            sys.stdin.buffer if args.input == "-" else stack.enter_context(_open(args.input, "rb"))
        )
        sink = (
            sys.stdout.buffer
            if args.output == "-"
            else stack.enter_context(_open(args.output, "wb"))
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
    settings = _with_judge(settings_from(args, args.settings_flags), args)
    _start_logging(settings, quiet=False)
    asyncio.run(serve(settings))
    return 0


def _start_logging(settings: Settings, *, quiet: bool) -> None:
    """Logging as the settings say, then the effective configuration (secrets masked) — at
    INFO for the server, at DEBUG for offline commands whose stderr is their summary."""
    configure_logging(settings.log_level, settings.log_format)
    level = logging.DEBUG if quiet else logging.INFO
    log.log(level, "reward-service %s, settings: %s", __version__, json.dumps(effective(settings)))


def _open(path: str, mode: str) -> BinaryIO:
    try:
        return cast(BinaryIO, open(path, mode))
    except OSError as error:
        raise CommandError(f"cannot open {path}: {error.strerror}") from error


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


class CommandError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""


def _rows(files: list[DumpFile], args: argparse.Namespace) -> Iterator[SourcedRow]:
    shape, think = _shape(args), _think(args)
    for file in files:
        rows = read_dump(file.path, shape, template=Template(args.template), think_in_prompt=think)
        yield from ((file.source, row) for row in rows)


def _shape(args: argparse.Namespace) -> Shape:
    return shape_with(SHAPES[args.shape], dict(_pairs(args.field)))


def _think(args: argparse.Namespace) -> bool | None:
    return {"auto": None, "true": True, "false": False}[args.think_in_prompt]


async def _stream_rescore(
    args: argparse.Namespace, files: list[DumpFile], score: Scorer
) -> tuple[int, Report]:
    current = await current_provenance(score) if args.only_changed else None
    total = sum(count_rows(file.path) or 0 for file in files)
    written = await rescore(
        _rows(files, args),
        args.output,
        score,
        batch_size=args.batch_size,
        total=total,
        progress=sys.stderr.isatty() and not args.quiet,
        only_changed=current,
    )
    return written, build_report(args.output)


async def _rescore_in_process(
    args: argparse.Namespace, settings: Settings, files: list[DumpFile]
) -> tuple[int, Report]:
    if args.server:
        async with AsyncRewardClient(args.server, token=args.token) as client:
            return await _stream_rescore(args, files, client.score_batch)
    service = RewardService(settings)
    try:

        async def score(requests: list[ScoreRequest]) -> list[ScoreResult]:
            return await service.score_batch(requests, timeout_s=settings.max_timeout_s)

        return await _stream_rescore(args, files, score)
    finally:
        await service.aclose()


def _rescore_local(
    args: argparse.Namespace, settings: Settings, files: list[DumpFile]
) -> tuple[int, Report]:
    return asyncio.run(_rescore_in_process(args, settings, files))


def _rescore_ray(
    args: argparse.Namespace, settings: Settings, files: list[DumpFile]
) -> tuple[int, Report]:
    from reward_service.ray_engine import RayOptions, rescore_with_ray  # noqa: PLC0415

    if args.server:
        raise SystemExit("--server scores against one service; --engine ray runs its own scorers")
    options = ScorerOptions(
        shape=_shape(args),
        template=Template(args.template),
        think_in_prompt=_think(args),
        only_changed=args.only_changed,
    )
    engine = RayOptions(
        address=args.ray_address,
        actors=args.actors,
        cpus_per_actor=args.cpus_per_actor,
        batch_size=args.batch_size,
    )
    bar = tqdm(unit="row", disable=not sys.stderr.isatty() or args.quiet, file=sys.stderr)
    try:
        return rescore_with_ray(files, args.output, options, settings, engine, progress=bar.update)
    finally:
        bar.close()


ENGINES = {"local": _rescore_local, "ray": _rescore_ray}
"""``--engine``: one process (or ``--server``), or a Ray Data pipeline over an actor pool."""


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, column = value.partition("=")
        if not sep or not name or not column:
            raise SystemExit(f"--field takes NAME=COLUMN, got {value!r}")
        pairs.append((name, column))
    return pairs


def _rescore_command(args: argparse.Namespace) -> int:
    check_environment()
    settings = _with_judge(Settings(), args)
    if args.cache_url is not None:
        settings = settings.model_copy(update={"cache_url": args.cache_url})
    if args.workers is not None:
        symbolic = settings.symbolic.model_copy(update={"workers": args.workers})
        settings = settings.model_copy(update={"symbolic": symbolic})
    if args.batch_size < 1:
        raise SystemExit("reward-service rescore: --batch-size must be at least 1")
    try:
        files = dump_files(args.dump)
        claim_output(args.output, fingerprint(files), restart=args.restart)
    except (NoDumpFiles, ForeignOutput) as error:
        raise SystemExit(f"reward-service rescore: {error}") from None
    started = time.perf_counter()
    written, report = ENGINES[args.engine](args, settings, files)
    stem = args.output.with_suffix("")
    markdown, plot = Path(f"{stem}.report.md"), Path(f"{stem}.report.png")
    markdown.write_text(report_markdown(report, str(args.dump)), encoding="utf-8")
    drawn = report_plot(report, plot)
    if not args.quiet:
        seconds = time.perf_counter() - started
        print(
            f"rescored {written} rows in {seconds:.1f}s ({written / max(seconds, 1e-9):.1f}"
            f"/s); {report.rows} rows in {args.output}; report: {markdown}"
            + (f", {plot}" if drawn else ""),
            file=sys.stderr,
        )
    if report.rows and report.invalid_rows == report.rows:
        print(
            f"reward-service rescore: every row ({report.rows}) is invalid; wrong --shape or "
            "--field? (see the reasons in the report)",
            file=sys.stderr,
        )
        return 1
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
    parser.add_argument("--version", action="version", version=f"reward-service {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser(
        "serve",
        help="run the HTTP and gRPC service (settings: REWARD_SERVICE_* variables or flags)",
    )
    _judge_arguments(serving)
    serving.set_defaults(handler=_serve_command, settings_flags=add_settings_flags(serving))
    score = commands.add_parser(
        "score", help="score JSONL requests offline, one result line per input line"
    )
    score.add_argument("input", help="JSONL requests, '-' for stdin")
    score.add_argument("-o", "--output", required=True, help="JSONL results, '-' for stdout")
    score.add_argument("--batch-size", type=_positive, default=256)
    score.add_argument("--workers", type=_positive, help="short for --symbolic.workers")
    score.add_argument("--task-timeout", type=float, help="short for --symbolic.task-timeout-s")
    score.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    _judge_arguments(score)
    score.set_defaults(handler=_score_command, settings_flags=add_settings_flags(score))
    again = commands.add_parser(
        "rescore", help="rescore a rollout dump (JSONL or Parquet), resumable, with a report"
    )
    again.add_argument(
        "dump", help="the dump: a .jsonl or .parquet file, a directory of them, or a glob"
    )
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
    again.add_argument("--batch-size", type=int, default=512, help="rows per scoring batch")
    again.add_argument("--cache-url", help="Redis for the score cache (not with --server)")
    again.add_argument(
        "--workers", type=int, help="verifier worker processes (per actor with --engine ray)"
    )
    again.add_argument(
        "--only-changed",
        action="store_true",
        help="pass through, unscored, rows whose stored provenance hash is the current one",
    )
    again.add_argument(
        "--restart", action="store_true", help="discard earlier results in OUTPUT and start over"
    )
    again.add_argument(
        "--engine", choices=sorted(ENGINES), default="local", help="where scoring runs"
    )
    again.add_argument("--ray-address", help="Ray cluster to join (default: a local Ray)")
    again.add_argument("--actors", type=int, default=2, help="scorer actors (--engine ray)")
    again.add_argument(
        "--cpus-per-actor", type=float, default=1.0, help="CPUs Ray reserves per scorer actor"
    )
    again.add_argument("-q", "--quiet", action="store_true")
    _judge_arguments(again)
    again.set_defaults(handler=_rescore_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (CommandError, UnknownSetting) as error:
        print(f"reward-service: error: {error}", file=sys.stderr)
        return 2
    except ValidationError as error:
        print(f"reward-service: error: invalid settings: {_one_line(error)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # whoever read standard output has gone (`score … -o - | head`): stop quietly, as other
        # command-line tools do, and keep Python from complaining again when it exits
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _one_line(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in error.errors()
    )


if __name__ == "__main__":
    sys.exit(main())
