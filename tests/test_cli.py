"""The offline ``reward-service score`` command, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.redis_server import redis_server

ROOT = Path(__file__).resolve().parents[1]
ENV_TIMEOUT = {"REWARD_SERVICE_SYMBOLIC__TASK_TIMEOUT_S": "2"}


def score(input_bytes: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "score", "-", "-o", "-", *args],
        input=input_bytes,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, **ENV_TIMEOUT},
    )


def line(**fields: object) -> bytes:
    return json.dumps(fields).encode() + b"\n"


def test_every_line_is_answered_once_in_order() -> None:
    lines = [
        line(id="a", response="<think>x</think>\\boxed{4}", gold="4"),
        b"{not json\n",
        b'{"id": "bad-utf8", "response": "\xff\xfe", "gold": "1"}\n',
        line(id="typo", response="<think>x</think>4", gold="4", think_in_promt=True),
        line(id="wrong-type", response=["a list"], gold="4"),
        b"[" * 100_000 + b"\n",
        b"\n",
        line(id=7, response="<think>x</think>\\boxed{5}", gold="4"),
        line(id="ctrl", response="<think>\x00\x01</think>\\boxed{4}\x1b", gold="4"),
    ]
    done = score(b"".join(lines), "--batch-size", "2")
    assert done.returncode == 0, done.stderr.decode()
    results = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(results) == len(lines)
    assert [r["id"] for r in results] == [
        "a",
        None,
        "bad-utf8",
        "typo",
        "wrong-type",
        None,
        None,
        7,
        "ctrl",
    ]
    assert results[0]["verdict"] == "correct"
    assert results[7]["verdict"] == "incorrect"
    assert results[8]["verdict"] == "correct"
    errors = {i: r for i, r in enumerate(results) if r["reason"] == "invalid_request"}
    assert sorted(errors) == [1, 2, 3, 4, 5, 6]
    for i, r in errors.items():
        assert r["status"] == "unscorable" and r["reward"] is None
        assert r["detail"].startswith(f"line {i + 1}: ")
    assert "invalid UTF-8" in errors[2]["detail"]
    assert "think_in_promt" in errors[3]["detail"]
    assert "nested too deeply" in errors[5]["detail"]
    summary = done.stderr.decode()
    assert "scored 9 requests" in summary
    assert "invalid_request" in summary


def test_files_and_the_shipped_example(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reward_service.cli",
            "score",
            "examples/requests.jsonl",
            "-o",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    results = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    expected = {
        "r1-correct": ("scored", "correct"),
        "r1-incorrect": ("scored", "incorrect"),
        "think-in-prompt": ("scored", "correct"),
        "chinese-anchor": ("scored", "correct"),
        "hedged": ("scored", "incorrect"),
        "list-answer": ("scored", "correct"),
        "missing-close": ("filtered", None),
        "repetitive": ("filtered", None),
        "latex-bomb": ("unscorable", None),
        "multi-part": ("scored", "correct"),
        "free-form": ("unscorable", None),
        "plain-template": ("scored", "correct"),
    }
    assert {k: (r["status"], r["verdict"]) for k, r in results.items()} == expected


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    done = subprocess.run(
        f"{sys.executable} -m reward_service.cli score examples/requests.jsonl -o - --quiet"
        " | head -1",
        shell=True,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert len(done.stdout.splitlines()) == 1
    assert b"Traceback" not in done.stderr, done.stderr.decode()


def test_a_bad_setting_fails_at_start_up() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "score", "-", "-o", "-"],
        input=b"",
        capture_output=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "REWARD_SERVICE_REWARDS__CORECT": "2"},
    )
    assert done.returncode != 0
    assert b"corect" in done.stderr.lower()


@pytest.mark.parametrize("args", [["score"], ["score", "-"], ["nope"]])
def test_usage_errors(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", *args],
        capture_output=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2


def test_cache_url_shares_results_between_runs(tmp_path: Path) -> None:
    lines = line(id="a", response="<think>x</think>\\boxed{4}", gold="4")
    with redis_server(tmp_path) as redis:
        first = score(lines, "--cache-url", redis.url)
        second = score(lines, "--cache-url", redis.url)
    assert json.loads(first.stdout)["cached"] is False
    assert json.loads(second.stdout)["cached"] is True
