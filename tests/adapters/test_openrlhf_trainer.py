"""OpenRLHF 0.11.2's own remote-RM client against a live server: ``SingleTurnAgentExecutor``
(what ``--reward.remote_url`` configures) builds a sample's reward after generation, over
HTTP to ``/get_reward`` and through our ``reward_func`` file; its ``_fetch_rewards_via_http``
with many samples per call. vLLM cannot run here, so the engine is a stand-in that returns the
test's tokens; the reward path is OpenRLHF's. Run by ``scripts/test-trainers``."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import reward_service.adapters.openrlhf as openrlhf_adapter
from tests.adapters.conftest import reset_adapters
from tests.serving import Server, free_port, running_server

transformers = pytest.importorskip("transformers")
agent = pytest.importorskip("openrlhf.utils.agent")
tiny_tokenizer = pytest.importorskip("tests.adapters.tiny_tokenizer")
pytestmark = [pytest.mark.trainers, pytest.mark.timeout(600)]

PROMPT = "<|user|>What is 2+2?<|end|><|assistant|><think>\n"  # R1-distill: opens <think>
CASES: list[tuple[str, str, float, float]] = [  # response, label, reward, masked
    ("Add them.</think>\\boxed{4}", "4", 1.0, 0.0),
    ("Add them.</think>\\boxed{5}", "4", -1.0, 0.0),
    ("Add them and never close \\boxed{4}", "4", -1.0, 0.0),  # filtered
    ("Walk.</think>向东", "向东走三步", -1.0, 1.0),  # needs a judge: masked
]


class Engine:
    """Stands in for OpenRLHF's vLLM engine: 'generates' the test's response tokens."""

    def __init__(self, tokenizer: Any, response: str) -> None:
        self.ids = tokenizer.encode(response, add_special_tokens=False)

    async def generate(self, prompt_token_ids: list[int], params: Any, **kwargs: Any) -> Any:
        output = SimpleNamespace(token_ids=self.ids, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[output])


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tiny_tokenizer.make_tokenizer(tmp_path_factory.mktemp("model"), think_tags_special=False)
    return transformers.AutoTokenizer.from_pretrained(path)


def _execute(remote_url: str, tokenizer: Any, prompt: str, response: str, label: str) -> Any:
    executor = agent.SingleTurnAgentExecutor(remote_url)
    params = SimpleNamespace(max_tokens=64, logprobs=None)
    return asyncio.run(
        executor.execute(prompt, label, params, 512, tokenizer, Engine(tokenizer, response))
    )


def _flat(value: Any) -> float:
    return float(value.flatten()[0].item()) if hasattr(value, "flatten") else float(value[0])


@pytest.mark.parametrize("variant", ["http", "file"])
def test_each_kind_of_sample(
    variant: str, server: Server, tokenizer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_URL", server.http_url)
    reset_adapters()
    url = f"{server.http_url}/get_reward" if variant == "http" else openrlhf_adapter.__file__
    for response, label, reward, masked in CASES:
        out = _execute(url, tokenizer, PROMPT, response, label)
        assert _flat(out["reward"]) == reward, response
        assert _flat(out["extra_logs"]["masked"]) == masked, response
    reset_adapters()


def test_many_samples_in_one_call(server: Server) -> None:
    executor = agent.SingleTurnAgentExecutor(f"{server.http_url}/get_reward")
    queries = [PROMPT + response for response, _, _, _ in CASES]
    labels = [label for _, label, _, _ in CASES]
    (reply,) = asyncio.run(executor._fetch_rewards_via_http(queries, [PROMPT] * len(CASES), labels))
    assert reply["rewards"] == [reward for _, _, reward, _ in CASES]
    assert reply["extra_logs"]["masked"] == [masked for _, _, _, masked in CASES]


def test_a_service_that_does_not_answer_masks_the_sample_within_the_timeout(
    tokenizer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the file variant: the client's deadline bounds the wait, the sample is masked
    (OpenRLHF would swallow an exception and fail later on a missing reward)."""
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_TIMEOUT_S", "3")
    reset_adapters()
    started = time.monotonic()
    out = _execute(openrlhf_adapter.__file__, tokenizer, PROMPT, *CASES[0][:2])
    assert time.monotonic() - started < 10
    assert _flat(out["reward"]) == -1.0
    assert _flat(out["extra_logs"]["masked"]) == 1.0
    assert _flat(out["extra_logs"]["service_error"]) == 1.0
    reset_adapters()


def test_get_reward_for_a_non_thinking_model(tmp_path: Path, tokenizer: Any) -> None:
    """``REWARD_SERVICE_TRAINER_TEMPLATE=plain``: the whole response is the answer."""
    with running_server(tmp_path, trainer_template="plain") as plain:
        url = f"{plain.http_url}/get_reward"
        prompt = "<|user|>What is 2+2?<|end|><|assistant|>"
        assert _flat(_execute(url, tokenizer, prompt, "It is \\boxed{4}.", "4")["reward"]) == 1.0
        assert _flat(_execute(url, tokenizer, prompt, "It is \\boxed{5}.", "4")["reward"]) == -1.0
