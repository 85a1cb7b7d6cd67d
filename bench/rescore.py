"""Offline rescoring throughput: rows per second of ``reward-service rescore`` on one dump,
in-process (the baseline), against a running server (``--server``), and on a local Ray
(``--engine ray``) with 1 and 2 scorer actors, all in the same run.

Every mode is a fresh ``reward-service rescore`` process on a cold cache, timed end to end
(start-up included: Ray's local start and actor start are part of what a user waits for) and
also by the rows/s the CLI itself prints. The dump is several Parquet files of verl-shaped rows,
each row a distinct (problem, answer) so no cache or dedup hides the verification cost.

    python bench/rescore.py [--rows 4000] [--files 4] [--workers 1]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa
import pyarrow.parquet as pq

from tests.serving import ROOT, running_server

REASONING = "We expand, collect like terms and check each boundary case in turn. " * 10


def write_dump(root: Path, rows: int, files: int) -> Path:
    root.mkdir(parents=True)
    per_file = rows // files
    for f in range(files):
        batch = []
        for i in range(f * per_file, (f + 1) * per_file):
            answer = i if i % 2 == 0 else i + 1  # half right, half wrong
            batch.append(
                {
                    "input": f"Problem {i}: compute the value. <think>",
                    "output": f"{REASONING}</think>The answer is $\\boxed{{{answer}}}$.",
                    "gts": str(i),
                    "score": 1.0,
                    "data_source": "bench",
                }
            )
        pq.write_table(pa.Table.from_pylist(batch), root / f"part-{f}.parquet")
    return root


def timed_rescore(dump: Path, out: Path, args: list[str]) -> tuple[float, float]:
    """Wall seconds of one rescore run, and the rows/s it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "rescore", str(dump), "-o", str(out), *args],
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr.decode()[-2000:])
    printed = re.search(rb"rescored \d+ rows in [\d.]+s \(([\d.]+)/s\)", done.stderr)
    return seconds, float(printed.group(1)) if printed else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="verifier workers per scorer")
    options = parser.parse_args()
    workers = ["--workers", str(options.workers)]
    ray = ["--engine", "ray", "--cpus-per-actor", "0.5", *workers]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        dump = write_dump(root / "dump", options.rows, options.files)
        rows = options.rows // options.files * options.files
        modes: list[tuple[str, list[str]]] = [
            ("in-process", workers),
            ("ray, 1 actor", [*ray, "--actors", "1"]),
            ("ray, 2 actors", [*ray, "--actors", "2"]),
        ]
        figures = []
        for name, args in modes:
            figures.append((name, *timed_rescore(dump, root / f"{len(figures)}.jsonl", args)))
        with running_server(root, SYMBOLIC__WORKERS=str(options.workers)) as server:
            figures.append(
                (
                    "--server (gRPC)",
                    *timed_rescore(dump, root / "s.jsonl", ["--server", server.grpc_url]),
                )
            )
    base = rows / figures[0][1]
    print(
        f"{rows} rows, {options.files} Parquet files, {options.workers} verifier worker(s) "
        "per scorer; wall time includes start-up"
    )
    print(f"{'mode':<18}{'wall s':>8}{'rows/s wall':>13}{'× in-process':>14}{'rows/s (CLI)':>14}")
    for name, seconds, printed in figures:
        rate = rows / seconds
        print(f"{name:<18}{seconds:>8.1f}{rate:>13.1f}{rate / base:>14.2f}{printed:>14.1f}")


if __name__ == "__main__":
    main()
