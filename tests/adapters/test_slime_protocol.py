"""slime (not on PyPI) as its source at tag v0.3.1 calls a reward model, written here from
reading ``slime/rollout/rm_hub/__init__.py`` and ``sglang_rollout.py``: ``remote_rm`` POSTs
``{"prompt", "response", "label"}`` with aiohttp (120 s total per attempt, up to 10 attempts)
and takes the JSON reply as the reward, read at ``--reward-key`` when set; ``--group-rm``
without ``--custom-rm-path`` gathers one such call per sample; with ``--custom-rm-path`` the
function gets the sample, or the group's list. Run by ``scripts/test-trainers``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from reward_service.adapters import slime as slime_adapter
from tests.adapters.conftest import reset_adapters
from tests.serving import Server, running_server

aiohttp = pytest.importorskip("aiohttp")
pytestmark = [pytest.mark.trainers, pytest.mark.timeout(300)]

PROMPT = "<|user|>What is 2+2?<|end|><|assistant|><think>\n"  # R1-distill: opens <think>
GROUP: list[tuple[str, str, float]] = [
    ("Add them.</think>\\boxed{4}", "4", 1.0),
    ("Add them.</think>\\boxed{5}", "4", -1.0),
    ("Add them and never close \\boxed{4}", "4", -1.0),  # filtered
    ("Walk.</think>向东", "向东走三步", -1.0),  # needs a judge: masked, trainer_unscorable_reward
]


def _sample(response: str, label: str, prompt: str = PROMPT) -> SimpleNamespace:
    return SimpleNamespace(prompt=prompt, response=response, label=label, reward=None)


async def _remote_rm(session: Any, url: str, sample: SimpleNamespace) -> Any:
    """One attempt of slime's ``remote_rm``: the payload, raise_for_status, the JSON reply."""
    payload = {"prompt": sample.prompt, "response": sample.response, "label": sample.label}
    async with session.post(url, json=payload) as reply:
        reply.raise_for_status()
        return await reply.json()


async def _group_rm(url: str, samples: list[SimpleNamespace], reward_key: str | None) -> list[Any]:
    """``--group-rm`` with ``--rm-type remote_rm``: one call per sample, gathered; the reward
    read at ``--reward-key`` as ``Sample.get_reward_value`` does."""
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        rewards = await asyncio.gather(*(_remote_rm(session, url, s) for s in samples))
    return [r[reward_key] if reward_key else r for r in rewards]


def test_remote_rm_per_sample_and_group(server: Server) -> None:
    samples = [_sample(r, label) for r, label, _ in GROUP]
    rewards = asyncio.run(_group_rm(f"{server.http_url}/slime/reward", samples, None))
    assert rewards == [reward for _, _, reward in GROUP]
    one = asyncio.run(_group_rm(f"{server.http_url}/slime/reward", samples[:1], None))
    assert one == [1.0]


def test_remote_rm_with_a_reward_key(server: Server) -> None:
    samples = [_sample(r, label) for r, label, _ in GROUP]
    url = f"{server.http_url}/slime/reward_details"
    assert asyncio.run(_group_rm(url, samples, "score")) == [r for _, _, r in GROUP]
    assert asyncio.run(_group_rm(url, samples, "masked")) == [0.0, 0.0, 0.0, 1.0]


@pytest.mark.usefixtures("adapter_env")
def test_custom_rm_path_per_sample_and_group() -> None:
    """``--custom-rm-path reward_service.adapters.slime.reward`` (adapter_env: masked → 0.0)."""
    args = SimpleNamespace(custom_rm_path="reward_service.adapters.slime.reward")
    samples = [_sample(r, label) for r, label, _ in GROUP]
    assert asyncio.run(slime_adapter.reward(args, samples[0])) == 1.0
    assert asyncio.run(slime_adapter.reward(args, samples)) == [1.0, -1.0, -1.0, 0.0]


@pytest.mark.usefixtures("adapter_env")
def test_custom_rm_with_think_tags_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    """SGLang decodes with ``skip_special_tokens`` by default: tags a tokenizer marks special
    are gone from ``sample.response``."""
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_THINK_TAGS_STRIPPED", "true")
    reset_adapters()
    args = SimpleNamespace()
    samples = [_sample("Add them. \\boxed{4}", "4"), _sample("Add them. \\boxed{5}", "4")]
    assert asyncio.run(slime_adapter.reward(args, samples)) == [1.0, -1.0]


def test_remote_rm_for_a_non_thinking_model(tmp_path: Path) -> None:
    """``REWARD_SERVICE_TRAINER_TEMPLATE=plain`` on ``/slime/*``."""
    prompt = "<|user|>What is 2+2?<|end|><|assistant|>"
    samples = [_sample("It is \\boxed{4}.", "4", prompt), _sample("It is \\boxed{5}.", "4", prompt)]
    with running_server(tmp_path, trainer_template="plain") as plain:
        url = f"{plain.http_url}/slime/reward"
        assert asyncio.run(_group_rm(url, samples, None)) == [1.0, -1.0]
