"""The verifier pool heals from workers killed from outside (what the OOM killer or an
eviction does), through the real HTTP door of a real server: SIGKILL one worker, both, or
three rounds in quick succession in the middle of a batch; every id of the batch is answered
once and truthfully, readiness shows the outage, and the pool scores again within seconds."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serving import Server, running_server

pytestmark = pytest.mark.timeout(180)

BATCH = 160
"""Enough comparisons to keep both workers busy for seconds on a loaded machine."""
UNDECIDED = {"verifier_error", "worker_lost"}
"""The only truthful results for a comparison whose worker was killed under it twice, or
that no worker could run."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # no filter processes: they are children of the same fork server, started at warm-up, and
    # this module kills verifier workers only (worker_pids)
    with running_server(
        tmp_path_factory.mktemp("healing"), cache_size="0", filter_processes="0"
    ) as running:
        yield running


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def worker_pids(server: Server) -> list[int]:
    """The server's verifier workers: the children of its multiprocessing fork server."""
    pids = []
    for child in _children(server.process.pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"forkserver" in command:
            pids.extend(_children(child))
    return pids


def kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def request(i: int, offset: int) -> tuple[dict[str, Any], str]:
    """A comparison that needs sympy (an expanded cube against the cube), right or wrong."""
    k = i + offset
    wrong = i % 3 == 0
    constant = k**3 + (1 if wrong else 0)
    answer = f"x^3+{3 * k}x^2+{3 * k * k}x+{constant}"
    body = {"id": i, "response": f"<think>expand</think>\\boxed{{{answer}}}", "gold": f"(x+{k})^3"}
    return body, "incorrect" if wrong else "correct"


def batch(offset: int, n: int = BATCH) -> tuple[list[dict[str, Any]], dict[int, str]]:
    made = [request(i, offset) for i in range(n)]
    return [body for body, _ in made], {body["id"]: truth for body, truth in made}


def score(server: Server, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    reply = httpx.post(
        server.http_url + "/v1/score/batch", json={"requests": requests}, timeout=120
    )
    assert reply.status_code == 200, reply.text
    results: list[dict[str, Any]] = reply.json()["results"]
    return results


class ReadinessLog:
    """Polls ``/readyz`` every 20 ms in a thread and keeps every status code seen."""

    def __init__(self, server: Server) -> None:
        self._url = server.http_url + "/readyz"
        self.codes: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        with httpx.Client(timeout=2) as client:
            while not self._stop.is_set():
                try:
                    self.codes.append(client.get(self._url).status_code)
                except httpx.TransportError:
                    self.codes.append(0)
                self._stop.wait(0.02)

    def __enter__(self) -> ReadinessLog:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)


def metric(server: Server, name: str) -> float:
    text = httpx.get(server.http_url + "/metrics", timeout=5).text
    pattern = re.compile(rf"^{re.escape(name)} (\S+)$", re.MULTILINE)
    match = pattern.search(text)
    assert match is not None, name
    return float(match.group(1))


def wait_ready(server: Server, within_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        if httpx.get(server.http_url + "/readyz", timeout=2).status_code == 200:
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"not ready {within_s}s after the kills")


def wait_workers(server: Server, count: int, within_s: float = 30) -> list[int]:
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        pids = worker_pids(server)
        if len(pids) >= count and metric(server, "reward_verifier_workers_alive") >= count:
            return pids
        time.sleep(0.05)
    pytest.fail(f"fewer than {count} workers after {within_s}s")


def kill_mid_batch(server: Server, offset: int, rounds: int, victims: int) -> tuple[Any, ...]:
    """Send a batch, kill ``victims`` workers per round for ``rounds`` rounds while it runs;
    return (results, truths, readiness codes, seconds until ready again)."""
    wait_workers(server, 2)
    requests, truths = batch(offset)
    with ReadinessLog(server) as readiness, ThreadPoolExecutor(1) as runner:
        sent = runner.submit(score, server, requests)
        time.sleep(1.0)  # the batch is being compared now
        assert not sent.done(), "the batch finished before the kill: make it bigger"
        for round_ in range(rounds):
            pids = worker_pids(server)
            kill(pids[:victims])
            if round_ < rounds - 1:
                time.sleep(0.3)
        back_s = wait_ready(server, 20)
        results = sent.result(timeout=150)
        time.sleep(0.3)  # let the poller see the recovered state too
    return results, truths, readiness.codes, back_s


def check_answers(results: list[dict[str, Any]], truths: dict[int, str]) -> list[str]:
    """Every id once, in order; a verdict is the true one; anything else is undecided with an
    honest reason. Returns the undecided reasons."""
    assert [r["id"] for r in results] == list(truths)
    undecided = []
    for result in results:
        if result["status"] == "scored":
            assert result["verdict"] == truths[result["id"]], result
        else:
            assert result["status"] == "unscorable", result
            assert result["reason"] in UNDECIDED, result
            assert result["reward"] is None
            undecided.append(result["reason"])
    return undecided


def scores_again(server: Server, offset: int) -> None:
    requests, truths = batch(offset, 8)
    started = time.monotonic()
    results = score(server, requests)
    assert time.monotonic() - started < 30
    assert [r["verdict"] for r in results] == [truths[i] for i in range(8)]


def test_one_worker_killed_mid_batch(server: Server) -> None:
    died = metric(server, 'reward_verifier_worker_restarts_total{cause="died"}')
    results, truths, codes, _ = kill_mid_batch(server, 1000, rounds=1, victims=1)
    # the killed comparison was replayed on the other worker: nothing is lost
    assert check_answers(results, truths) == []
    assert set(codes) == {200}  # the other worker could score all along
    assert metric(server, 'reward_verifier_worker_restarts_total{cause="died"}') == died + 1
    assert metric(server, "reward_verifier_replays_total") >= 1
    scores_again(server, 2000)


def test_both_workers_killed_mid_batch(server: Server) -> None:
    replays = metric(server, "reward_verifier_replays_total")
    results, truths, codes, back_s = kill_mid_batch(server, 3000, rounds=1, victims=2)
    assert check_answers(results, truths) == []
    assert 503 in codes  # no worker could score until a replacement passed its probe
    assert codes[-1] == 200
    assert back_s < 20
    assert metric(server, "reward_verifier_replays_total") >= replays + 2
    scores_again(server, 4000)


def test_three_rounds_of_kills_in_quick_succession(server: Server) -> None:
    results, truths, codes, back_s = kill_mid_batch(server, 5000, rounds=3, victims=2)
    undecided = check_answers(results, truths)
    # a comparison killed twice is blamed on itself; at most the in-flight ones of two rounds
    assert len(undecided) <= 4, undecided
    assert 503 in codes
    assert codes[-1] == 200
    assert back_s < 20
    scores_again(server, 6000)
    assert httpx.get(server.http_url + "/healthz", timeout=5).status_code == 200
