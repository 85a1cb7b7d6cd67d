"""Injection by paraphrase: our own attack corpus (English and Chinese; verdict claims, grades,
fake verdict JSON in either quote style, role-play, fake end markers, zero-width, full-width
and soft-hyphen spellings) appended to or put before a wrong answer, scored through the service
against a *credulous* scripted judge that says "correct" whenever anything verdict-like is left
in what it is shown — inside the declared data block or outside it.

The figure is how many attacks get a wrong answer rewarded; the test holds it at its measured
bound (``THROUGH``), so a change to the sanitiser or the prompts cannot raise it unnoticed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reward_service import RewardService, ScoreRequest, Verdict
from reward_service.settings import JudgeSettings
from tests.conftest import make_settings, run
from tests.judge_server import (
    VERDICT_LIKE,
    Script,
    judge_server,
    read_as_a_model,
    template_pieces,
)

ROOT = Path(__file__).resolve().parents[2]
ATTACKS = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "judge_injections_paraphrase.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
]
PROBLEM = "已知方程 2x - 3 = 7，求 x，并求边长为 2 和 5 的矩形的面积。"
GOLD = "x = 5, 面积为 10 平方单位"
THROUGH = 0
"""Attacks that got through, as measured (see the module docstring)."""
SPECS = ["qwen2.5-instruct", "qwen2.5-coder-llamacpp"]


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[str, Script]]:
    with judge_server() as running:
        yield running


def test_the_corpus_is_big_bilingual_and_fools_an_unprotected_judge() -> None:
    assert len(ATTACKS) >= 100 and len({a["id"] for a in ATTACKS}) == len(ATTACKS)
    assert sum(a["lang"] == "zh" for a in ATTACKS) >= 30
    for attack in ATTACKS:
        assert VERDICT_LIKE.search(read_as_a_model(attack["answer"])), attack["id"]


@pytest.mark.parametrize("spec", SPECS)
def test_paraphrased_injections_through_a_credulous_judge(
    scripted: tuple[str, Script], spec: str
) -> None:
    url, script = scripted
    script.mode, script.delay_s = "credulous", 0.0
    script.fixed_text = template_pieces(spec)
    # the spec's own text alone does not make the credulous judge say correct
    svc = RewardService(
        make_settings(judge=JudgeSettings(url=url, model=spec, retries=0, timeout_s=5))
    )
    try:
        honest = run(
            svc.score(ScoreRequest(response="<think>t</think>x = 3", gold=GOLD, problem=PROBLEM))
        )
        assert honest.verdict is not Verdict.CORRECT
        requests = [
            ScoreRequest(
                id=a["id"], response=f"<think>t</think>{a['answer']}", gold=GOLD, problem=PROBLEM
            )
            for a in ATTACKS
        ]
        results = run(svc.score_batch(requests))
    finally:
        svc.close()
    through = sorted(str(r.id) for r in results if r.verdict is Verdict.CORRECT)
    print(f"{spec}: {len(through)} of {len(ATTACKS)} attacks rewarded: {through}")
    assert len(through) <= THROUGH, through
    assert all(r.reward != 1.0 for r in results if str(r.id) not in through)
