"""The judge path against real small models served by llama.cpp's OpenAI-compatible server on
loopback (``tests/llama_server.py``), through the offline CLI:

- SmolLM2-135M-Instruct (``smollm2-llamacpp``): the plumbing — prompt → constrained output
  (llama.cpp dialect) → parsed verdict → result — on 12 GAOKAO fill-in rows;
- Qwen2.5-Coder-1.5B-Instruct (``qwen2.5-coder-llamacpp``, the CPU test judge): a handful of
  short labelled rows of our free-form set, to keep CI short (each verdict takes seconds on 2
  threads).

Accuracy is measured by ``bench/judge_agreement.py``, not asserted here. Needs the
``judge-real`` extra (``pip install -e '.[judge-real]'``, compiles llama.cpp: ~5 min); runs with
``-m judge_real`` (``scripts/test-judge-real``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.llama_server import MissingModel, llama_server

pytestmark = pytest.mark.judge_real
ROOT = Path(__file__).resolve().parents[2]
GAOKAO = ROOT / "tests" / "data" / "corpus" / "auto_labelled_gaokao_fill_blank.jsonl"
FREEFORM = ROOT / "tests" / "data" / "judge_freeform.jsonl"
CASES = {
    # alias: (judge spec, rows)
    "smollm2": ("smollm2-llamacpp", (GAOKAO, None)),
    "qwen2.5-coder": (
        "qwen2.5-coder-llamacpp",
        (FREEFORM, {"ff-zh-text-1", "ff-zh-text-2", "ff-en-multi-1", "ff-en-multi-2"}),
    ),
}
VERDICT_REASONS = {
    "judge.correct",
    "judge.incorrect",
    "judge.process_flawed",
    "answer.some_parts_wrong",
}


@pytest.fixture(scope="module", params=sorted(CASES))
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    alias = request.param
    log = tmp_path_factory.mktemp("llama") / f"{alias}.log"
    try:
        with llama_server(alias, log) as url:
            yield alias, url
    except MissingModel as error:
        pytest.fail(str(error))


def rows_for(alias: str) -> list[dict[str, object]]:
    path, ids = CASES[alias][1]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if r["id"] in ids] if ids else rows[:12]


def test_labelled_rows_through_the_cli_with_a_real_model(
    served: tuple[str, str], tmp_path: Path
) -> None:
    alias, url = served
    spec = CASES[alias][0]
    rows = rows_for(alias)
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
            "--batch-size",
            "1",
            "--judge-url",
            url,
            "--judge-model",
            spec,
        ],
        capture_output=True,
        timeout=1200,
        cwd=ROOT,
        env={
            **os.environ,
            "REWARD_SERVICE_JUDGE__CONCURRENCY": "1",
            "REWARD_SERVICE_JUDGE__TIMEOUT_S": "300",
        },
    )
    assert done.returncode == 0, done.stderr.decode()
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in results] == [r["id"] for r in rows]
    for result in results:
        assert result["route"] == "judge"
        assert result["status"] in ("scored", "unscorable"), result
        masked = result["status"] == "unscorable" and result["blame"] != "response"
        assert (result["reward"] is None) == masked
        assert result["provenance"]["judge_model"].startswith(f"{spec}@")
    scored = [r for r in results if r["status"] == "scored"]
    assert scored, "the constrained replies of the real model must parse"
    assert {r["reason"] for r in scored} <= VERDICT_REASONS
    labels = {r["id"]: bool(r.get("audit_expected", r["expected"])) for r in rows}
    agree = sum((r["verdict"] == "correct") == labels[r["id"]] for r in results)
    print(f"{spec}: agreement {agree}/{len(results)} (not asserted; see bench/judge_agreement.py)")
