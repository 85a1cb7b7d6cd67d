"""Offline rescoring throughput: rows per second of ``reward-service rescore`` on one dump,
in-process (the baseline), against a running server (``--server``), and on a local Ray
(``--engine ray``) with 1 and 2 scorer actors, all in the same run.

Every mode is a fresh ``reward-service rescore`` process on a cold cache, timed end to end
(start-up included: Ray's local start and actor start are part of what a user waits for) and
also by the rows/s the CLI itself prints. The dump is several Parquet files of verl-shaped rows,
each row a distinct (problem, answer) so no cache or dedup hides the verification cost.

Memory: each run's peak proportional set size (PSS: shared pages, such as Ray's object store,
split between the processes mapping them) summed over the whole process tree — the CLI, its
verifier workers and, on Ray, the local cluster it starts. With ``--memory-scale K`` the
in-process and 2-actor runs are repeated on a dump K times as long, and the ratio of the peaks
says whether memory grows with the dump (streamed) or stays flat.

    python bench/rescore.py [--rows 4000] [--files 4] [--workers 1] [--memory-scale 4]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
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


def pss_mb(root: int) -> tuple[float, float]:
    """PSS of ``root`` alone and of ``root`` with all its descendants, in MB (Linux ``/proc``)."""
    own_kb, total_kb, todo, seen = 0, 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    kb = int(line.split()[1])
                    total_kb += kb
                    own_kb = kb if pid == root else own_kb
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # the process ended while it was read
    return own_kb / 1024, total_kb / 1024


Run = tuple[str, float, float, float, float]
"""A mode's name, wall seconds, the rows/s it printed, the driver's and the tree's peak PSS."""


def timed_rescore(dump: Path, out: Path, args: list[str]) -> tuple[float, float, float, float]:
    """Wall seconds of one rescore run, the rows/s it printed, and the peak PSS (MB) of the
    CLI process and of its whole tree."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "reward_service.cli", "rescore", str(dump), "-o", str(out), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    peak = [0.0, 0.0]

    def sample() -> None:
        while process.poll() is None:
            own, tree = pss_mb(process.pid)
            peak[:] = max(peak[0], own), max(peak[1], tree)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = process.communicate()[1]
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(stderr.decode()[-2000:])
    printed = re.search(rb"rescored \d+ rows in [\d.]+s \(([\d.]+)/s\)", stderr)
    return seconds, float(printed.group(1)) if printed else float("nan"), peak[0], peak[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="verifier workers per scorer")
    parser.add_argument(
        "--memory-scale", type=int, default=4, help="the long dump's length in dumps (0: skip)"
    )
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
        figures: list[Run] = []
        for name, args in modes:
            figures.append((name, *timed_rescore(dump, root / f"{len(figures)}.jsonl", args)))
        with running_server(root, SYMBOLIC__WORKERS=str(options.workers)) as server:
            figures.append(
                (
                    "--server (gRPC)",
                    *timed_rescore(dump, root / "s.jsonl", ["--server", server.grpc_url]),
                )
            )
        scaled: list[Run] = []
        if options.memory_scale > 1:
            long_rows = options.rows * options.memory_scale
            long_dump = write_dump(root / "long", long_rows, options.files)
            for name, args in (modes[0], modes[2]):
                scaled.append((name, *timed_rescore(long_dump, root / "long.jsonl", args)))
    base = rows / figures[0][1]
    print(
        f"{rows} rows, {options.files} Parquet files, {options.workers} verifier worker(s) "
        "per scorer; wall time includes start-up"
    )
    print(
        f"{'mode':<18}{'wall s':>8}{'rows/s wall':>13}{'× in-process':>14}{'rows/s (CLI)':>14}"
        f"{'peak PSS MB: CLI':>18}{'all':>6}"
    )
    for name, seconds, printed, own, tree in figures:
        rate = rows / seconds
        print(
            f"{name:<18}{seconds:>8.1f}{rate:>13.1f}{rate / base:>14.2f}{printed:>14.1f}"
            f"{own:>18.0f}{tree:>6.0f}"
        )
    if not scaled:
        return
    print(f"memory in the dump's length ({rows} rows vs {rows * options.memory_scale}):")
    peaks = {name: (own, tree) for name, _, _, own, tree in figures}
    for name, _, printed, own, tree in scaled:
        short_own, short_tree = peaks[name]
        print(
            f"{name:<18}peak PSS of the CLI {short_own:.0f} → {own:.0f} MB "
            f"({own / short_own:.2f}×), of all its processes {short_tree:.0f} → {tree:.0f} MB "
            f"({tree / short_tree:.2f}×); {printed:.1f} rows/s on the long dump"
        )


if __name__ == "__main__":
    main()
