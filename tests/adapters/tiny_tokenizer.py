"""A tiny byte-level tokenizer made in the test, saved where ``from_pretrained`` reads it: the
trainers' own decoding (``skip_special_tokens=True``) runs on it, no model hub needed.
Imported by the trainer tests only (it needs transformers)."""

from __future__ import annotations

from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

R1_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|><think>\n{% endif %}"
)
"""An R1-distill-like template: the generation prompt opens ``<think>``."""


def make_tokenizer(directory: Path, *, think_tags_special: bool) -> Path:
    """Write a tokenizer to ``directory``; ``think_tags_special`` marks ``<think>`` and
    ``</think>`` special, as some reasoning models' tokenizers do (decoding with
    ``skip_special_tokens=True`` then drops them)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|end|>", "<|pad|>", "<|user|>", "<|assistant|>"],
    )
    tokenizer.train_from_iterator(["What is 2+2? The answer is \\boxed{4}. 向东走三步"], trainer)
    tokenizer.add_tokens(
        [AddedToken(tag, special=think_tags_special) for tag in ("<think>", "</think>")]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|end|>", pad_token="<|pad|>"
    )
    if think_tags_special:
        fast.add_special_tokens({"additional_special_tokens": ["<think>", "</think>"]})
    fast.chat_template = R1_CHAT_TEMPLATE
    fast.save_pretrained(directory)
    return directory
