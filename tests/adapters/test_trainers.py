"""OpenRLHF's reward_func file, TRL's reward function and slime's custom RM, each called the
way its trainer calls it."""

import asyncio
from types import SimpleNamespace

import pytest

from reward_service.adapters import openrlhf, slime, trl


@pytest.mark.usefixtures("adapter_env")
def test_openrlhf_reward_func() -> None:
    reply = openrlhf.reward_func(
        queries=["Q <think>x</think>\\boxed{4}", "Q <think>x</think>\\boxed{5}", "P 东"],
        prompts=["Q <think>", "Q <think>", "P"],
        labels=["4", "4", "向东"],
    )
    assert reply["rewards"] == [1.0, -1.0, -1.0]
    assert reply["scores"] == [1.0, 0.0, 0.0]
    assert reply["extra_logs"]["filtered"] == [0.0, 0.0, 1.0]


@pytest.mark.usefixtures("adapter_env")
def test_trl_reward_function_with_conversations() -> None:
    completions = [
        [{"role": "assistant", "content": "<think>x</think>\\boxed{4}"}],
        [{"role": "assistant", "content": "<think>x</think>\\boxed{5}"}],
        [{"role": "assistant", "content": "<think>x</think>东"}],
    ]
    prompts = [[{"role": "user", "content": "2+2?"}]] * 3
    rewards = trl.reward_service_reward(
        completions=completions,
        prompts=prompts,
        solution=["4", "4", "向东走三步"],
        other_column=[1, 2, 3],
    )
    assert rewards == [1.0, -1.0, None]


@pytest.mark.usefixtures("adapter_env")
def test_trl_needs_a_gold_column() -> None:
    with pytest.raises(ValueError, match="columns"):
        trl.reward_service_reward(completions=["x"], prompts=["p"])


@pytest.mark.usefixtures("adapter_env")
def test_slime_custom_rm_single_and_group() -> None:
    def sample(response: str, label: str) -> SimpleNamespace:
        return SimpleNamespace(prompt="Solve it. <think>", response=response, label=label)

    args = SimpleNamespace()
    one = asyncio.run(slime.reward(args, sample("x</think>\\boxed{4}", "4")))
    assert one == 1.0
    group = asyncio.run(
        slime.reward(
            args,
            [
                sample("x</think>\\boxed{4}", "4"),
                sample("x</think>\\boxed{3}", "4"),
                sample("x</think>东", "向东走三步"),
            ],
        )
    )
    assert group == [1.0, -1.0, 0.0]
