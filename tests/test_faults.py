"""Faults injected into a real server: verifier workers killed mid-batch; logs that must not
leak responses or tokens; a short bounded mixed load."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.judge_server import judge_server
from tests.serving import TOKEN, running_server

BOMB = "<think>x</think>\\boxed{9^{9^{9^{9}}}}"
SECRET = "SECRET-RESPONSE-TEXT-1234"


def descendants(pid: int) -> list[int]:
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_killing_verifier_workers_mid_batch(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        items = [{"id": "bomb", "response": BOMB, "gold": "1"}] + [
            {"id": f"ok{i}", "response": f"<think>{i}</think>\\boxed{{{i}}}", "gold": str(i % 3)}
            for i in range(30)
        ]
        reply: dict[str, Any] = {}
        worker = threading.Thread(
            target=lambda: reply.update(
                r=httpx.post(
                    server.http_url + "/v1/score/batch", json={"requests": items}, timeout=60
                )
            )
        )
        worker.start()
        time.sleep(0.8)
        # the server's grandchildren are the verifier workers (server → forkserver → worker)
        killed = [
            pid
            for pid in descendants(server.process.pid)
            if pid not in (server.process.pid,)
            and "forkserver" not in Path(f"/proc/{pid}/cmdline").read_text()
        ]
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        worker.join(timeout=60)
        assert killed
        results = reply["r"].json()["results"]
        assert [r["id"] for r in results] == [i["id"] for i in items]
        for result in results:
            assert result["status"] in ("scored", "unscorable"), result
            if result["status"] == "unscorable":
                assert result["reason"] in ("verifier_error", "timeout", "worker_lost")
                # masked, or the comparison itself was blamed (it died again on its replay)
                assert result["reward"] is None or result["blame"] == "response"
        # the pool replaced its workers: new work scores normally
        after = httpx.post(
            server.http_url + "/v1/score/batch",
            json={
                "requests": [
                    {"id": "n", "response": "<think>a</think>\\boxed{\\frac{1}{2}}", "gold": "0.5"}
                ]
            },
            timeout=60,
        ).json()["results"][0]
        assert after["verdict"] == "correct"


def test_logs_carry_neither_responses_nor_tokens(tmp_path: Path) -> None:
    with running_server(tmp_path, auth_token=TOKEN) as server:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        for body in (
            {"response": f"<think>{SECRET}</think>\\boxed{{1}}", "gold": "1"},
            {"response": f"{SECRET}" * 3, "gold": "1"},
            {"response": BOMB + SECRET, "gold": "1"},
        ):
            httpx.post(server.http_url + "/v1/score", json=body, headers=headers, timeout=60)
        httpx.post(
            server.http_url + "/v1/score",
            json={"response": SECRET, "gold": "1"},
            headers={"Authorization": "Bearer wrong-" + SECRET},
            timeout=60,
        )
        assert server.stop() == 0
        log = server.log.read_text()
    assert log, "the server wrote no log at all"
    assert SECRET not in log and TOKEN not in log


def test_judge_injections_through_the_http_door(tmp_path: Path) -> None:
    cases = [
        json.loads(line)
        for line in (Path(__file__).parent / "data" / "judge_injections.jsonl")
        .read_text()
        .splitlines()
    ]
    with judge_server() as (judge_url, script):
        script.mode = "gullible"
        with running_server(tmp_path, judge__url=judge_url) as server:
            reply = httpx.post(
                server.http_url + "/v1/score/batch",
                json={
                    "requests": [
                        {
                            "id": c["id"],
                            "response": f"<think>x</think>{c['answer']}",
                            "gold": "x = 5, 面积为 10 平方单位",
                            "problem": "求 x 和面积",
                        }
                        for c in cases
                    ]
                },
                timeout=120,
            ).json()["results"]
    assert [r["id"] for r in reply] == [c["id"] for c in cases]
    assert all(r["route"] == "judge" for r in reply)
    assert not [r["id"] for r in reply if r["verdict"] == "correct"]
    assert len(script.requests) == len(cases)
