"""verl 0.9.1's own reward loop against a live server: the hydra config verl ships, with
``reward.custom_reward_function`` pointing at our adapter, a ``RewardLoopManager`` on a real
Ray (its workers are Ray actors), the ``naive`` and ``dapo`` managers decoding a DataProto
batch with the test's tokenizer exactly as they decode rollouts (``skip_special_tokens=True``).
Run by ``scripts/test-trainers`` (marker ``trainers``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import reward_service.adapters.verl as verl_adapter
from tests.serving import Server

# the trainer's venv only (scripts/test-trainers); the default venv has none of these
torch = pytest.importorskip("torch")
ray = pytest.importorskip("ray")
hydra = pytest.importorskip("hydra")
transformers = pytest.importorskip("transformers")
verl = pytest.importorskip("verl")
reward_loop = pytest.importorskip("verl.experimental.reward_loop")
tiny_tokenizer = pytest.importorskip("tests.adapters.tiny_tokenizer")
pytestmark = [pytest.mark.trainers, pytest.mark.timeout(600)]

# the prompt ends with the R1-distill template's open <think>: responses start inside it
PROMPT = "<|user|>What is 2+2?<|end|><|assistant|><think>\n"
GSM8K_GOLD = "Natalia sold 48 clips in April and half as many in May.\n48+24 = 72\n#### 72"
SAMPLES: list[tuple[str, Any]] = [
    ("Add them.</think>The answer is \\boxed{4}.", "4"),  # correct
    ("Add them.</think>The answer is \\boxed{5}.", "4"),  # wrong
    ("I keep thinking and never close \\boxed{4}", "4"),  # filtered: no </think>
    ("Walk.</think>向东", "向东走三步"),  # unscorable: the gold needs a judge, none is set
    ("48 + 24.</think>\\boxed{72}", GSM8K_GOLD),  # a GSM8K worked solution as the gold
]
UNSCORABLE_REWARD = -1.0


def _batch(tokenizer: Any, responses: list[str], golds: list[Any]) -> Any:
    """A DataProto as verl's rollout hands it to the reward loop: left-padded prompts,
    right-padded responses, one attention mask over both."""
    prompt = tokenizer.encode(PROMPT, add_special_tokens=False)
    encoded = [tokenizer.encode(r, add_special_tokens=False) for r in responses]
    width = max(len(e) for e in encoded)
    pad = tokenizer.pad_token_id
    responses_t = torch.tensor([e + [pad] * (width - len(e)) for e in encoded])
    prompts_t = torch.tensor([prompt] * len(encoded))
    mask = torch.tensor(
        [[1] * len(prompt) + [1] * len(e) + [0] * (width - len(e)) for e in encoded]
    )
    return verl.DataProto.from_dict(
        tensors={
            "prompts": prompts_t,
            "responses": responses_t,
            "input_ids": torch.cat([prompts_t, responses_t], dim=1),
            "attention_mask": mask,
        },
        non_tensors={
            "data_source": np.array(["math"] * len(encoded), dtype=object),
            "reward_model": np.array([{"ground_truth": g} for g in golds], dtype=object),
            "extra_info": np.array([{"question": "What is 2+2?"} for _ in encoded], dtype=object),
        },
    )


def _score(
    tmp_path: Path, manager: str, special_tags: bool, batch_of: list[tuple[str, Any]]
) -> Any:
    model = tiny_tokenizer.make_tokenizer(tmp_path / "model", think_tags_special=special_tags)
    with hydra.initialize_config_dir(
        config_dir=str(Path(verl.__file__).parent / "trainer" / "config"), version_base=None
    ):
        config = hydra.compose(
            "ppo_trainer",
            overrides=[
                f"actor_rollout_ref.model.path={model}",
                f"reward.custom_reward_function.path={verl_adapter.__file__}",
                "reward.custom_reward_function.name=compute_score_async",
                f"reward.reward_manager.name={manager}",
                "reward.num_workers=2",
            ],
        )
    tokenizer = transformers.AutoTokenizer.from_pretrained(model)
    data = _batch(tokenizer, [r for r, _ in batch_of], [g for _, g in batch_of])
    out = reward_loop.RewardLoopManager(config).compute_rm_score(data)
    scores = out.batch["rm_scores"].sum(dim=1).tolist()
    return scores, out.non_tensor_batch, out.meta_info["reward_extra_keys"]


def _env(server: Server, transport: str, **extra: str) -> dict[str, str]:
    url = server.http_url if transport == "http" else server.grpc_url
    return {
        "REWARD_SERVICE_CLIENT_URL": url,
        "REWARD_SERVICE_CLIENT_UNSCORABLE_REWARD": str(UNSCORABLE_REWARD),
        "REWARD_SERVICE_CLIENT_TIMEOUT_S": "60",
        **extra,
    }


@pytest.mark.parametrize(
    ("manager", "transport"), [("naive", "http"), ("dapo", "grpc")], ids=["naive-http", "dapo-grpc"]
)
def test_reward_loop_scores_each_kind_of_sample(
    server: Server, tmp_path: Path, manager: str, transport: str
) -> None:
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": _env(server, transport)})
    try:
        scores, extra, keys = _score(tmp_path, manager, special_tags=False, batch_of=SAMPLES)
    finally:
        ray.shutdown()
    assert scores == [1.0, -1.0, -1.0, UNSCORABLE_REWARD, 1.0]
    # DAPO's filter_groups.metric=acc reads this key of the batch
    assert "acc" in keys
    assert extra["acc"].tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]
    assert extra["status"].tolist() == ["scored", "scored", "filtered", "unscorable", "scored"]
    assert extra["reason"][2] == "format.missing_think_close"
    assert extra["masked"].tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]


STRIPPED = [
    ("Add them.</think>The answer is \\boxed{4}.", "4"),
    ("Add them.</think>The answer is \\boxed{5}.", "4"),
    ("Add them.</think>" + "so 2+2 is 4 and " * 300, "4"),  # a loop: filtered either way
]


def test_think_tags_a_tokenizer_strips_are_filtered_unless_the_setting_says_so(
    server: Server, tmp_path: Path
) -> None:
    """A tokenizer that marks the think tags special loses them in verl's decoding: without
    the setting every sample is filtered (visibly, with its reason); with
    ``REWARD_SERVICE_CLIENT_THINK_TAGS_STRIPPED=true`` the whole text is graded."""
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": _env(server, "http")})
    try:
        _, extra, _ = _score(tmp_path / "kept", "naive", special_tags=True, batch_of=STRIPPED)
    finally:
        ray.shutdown()
    assert extra["status"].tolist() == ["filtered"] * 3
    assert set(extra["reason"].tolist()) == {"format.missing_think_close"}

    env = _env(server, "http", REWARD_SERVICE_CLIENT_THINK_TAGS_STRIPPED="true")
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": env})
    try:
        scores, extra, _ = _score(
            tmp_path / "stripped", "naive", special_tags=True, batch_of=STRIPPED
        )
    finally:
        ray.shutdown()
    assert scores == [1.0, -1.0, -1.0]
    assert extra["status"].tolist() == ["scored", "scored", "filtered"]
    assert extra["reason"][2] == "repetition.answer"
