"""TRL 1.16.0's own ``GRPOTrainer`` with our reward function against a live server: a whole
``train()`` step on a tiny random model on CPU, then the trainer's own ``_calculate_rewards``
on chosen completions, standard and conversational, as its decoding leaves them (an R1-like
chat template opens ``<think>`` in the prompt; a parser's ``reasoning_content``). Run by
``scripts/test-trainers`` (marker ``trainers``)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reward_service.adapters.trl import reward_service_reward
from tests.adapters.conftest import reset_adapters
from tests.serving import Server

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
datasets = pytest.importorskip("datasets")
trl = pytest.importorskip("trl")
tiny_tokenizer = pytest.importorskip("tests.adapters.tiny_tokenizer")
pytestmark = [pytest.mark.trainers, pytest.mark.timeout(600)]

GSM8K_GOLD = "Natalia sold 48 clips in April and half as many in May.\n48+24 = 72\n#### 72"


@pytest.fixture(params=["http", "grpc"])
def trainer(
    request: pytest.FixtureRequest,
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """A GRPOTrainer on a tiny random Llama and the test's tokenizer, rewarded by the service."""
    url = server.http_url if request.param == "http" else server.grpc_url
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_URL", url)
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_TIMEOUT_S", "60")
    reset_adapters()
    path = tiny_tokenizer.make_tokenizer(tmp_path / "model", think_tags_special=False)
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = transformers.LlamaForCausalLM(config)
    dataset = datasets.Dataset.from_dict(
        {
            "prompt": [[{"role": "user", "content": "Natalia sold 48 clips..."}]] * 4,
            "answer": [GSM8K_GOLD] * 4,
        }
    )
    args = trl.GRPOConfig(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        max_steps=1,
        use_cpu=True,
        bf16=False,
        report_to=[],
        logging_steps=1,
        save_strategy="no",
    )
    yield trl.GRPOTrainer(
        model=model,
        reward_funcs=[reward_service_reward],
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    reset_adapters()


def test_a_train_step_calls_the_service(trainer: Any) -> None:
    trainer.train()
    logged = [entry for entry in trainer.state.log_history if "reward" in entry]
    # 8 random tokens never close a thinking span: every completion is filtered, -1
    assert logged and logged[0]["reward"] == -1.0


def _rewards(
    trainer: Any, prompts: list[Any], completions: list[Any], golds: list[str]
) -> list[float]:
    inputs = [{"prompt": p, "answer": g} for p, g in zip(prompts, golds, strict=True)]
    ids = [[0]] * len(completions)
    per_func = trainer._calculate_rewards(inputs, prompts, completions, ids)
    return [float(v) for v in per_func[:, 0].tolist()]


def _same(got: list[float], expected: list[float | None]) -> bool:
    return all(math.isnan(g) if e is None else g == e for g, e in zip(got, expected, strict=True))


# (completion text after an R1 template's open <think>, gold, reward; None: masked → NaN)
CASES: list[tuple[str, str, float | None]] = [
    ("48 + 24.</think>So \\boxed{72}.", GSM8K_GOLD, 1.0),
    ("48 + 24.</think>So \\boxed{70}.", GSM8K_GOLD, -1.0),
    ("48 + 24 and never close \\boxed{72}", GSM8K_GOLD, -1.0),  # filtered
    ("Walk.</think>向东", "向东走三步", None),  # needs a judge: masked
]


def test_standard_completions(trainer: Any) -> None:
    prompt = "<|user|>Natalia sold 48 clips...<|end|><|assistant|><think>\n"
    got = _rewards(trainer, [prompt] * 4, [c for c, _, _ in CASES], [g for _, g, _ in CASES])
    assert _same(got, [r for _, _, r in CASES]), got


def test_conversational_completions_of_an_r1_template(trainer: Any) -> None:
    prompt = [{"role": "user", "content": "Natalia sold 48 clips..."}]
    completions = [[{"role": "assistant", "content": c}] for c, _, _ in CASES]
    got = _rewards(trainer, [prompt] * 4, completions, [g for _, g, _ in CASES])
    assert _same(got, [r for _, _, r in CASES]), got


def test_reasoning_content_split_out_by_the_response_parser(trainer: Any) -> None:
    """With ``tools=`` TRL parses completions into ``reasoning_content`` and ``content``; a
    tool call and its result come before the final assistant message."""
    prompt = [{"role": "user", "content": "Natalia sold 48 clips..."}]
    completions = [
        [{"role": "assistant", "reasoning_content": "48 + 24.", "content": "So \\boxed{72}."}],
        [
            {"role": "assistant", "content": "", "tool_calls": [{"type": "function"}]},
            {"role": "tool", "content": "72"},
            {"role": "assistant", "reasoning_content": "The tool says.", "content": "\\boxed{70}"},
        ],
        [{"role": "assistant", "content": "So \\boxed{72}."}],  # no thinking at all: filtered
    ]
    got = _rewards(trainer, [prompt] * 3, completions, [GSM8K_GOLD] * 3)
    assert got == [1.0, -1.0, -1.0]
