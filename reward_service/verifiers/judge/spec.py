"""Judge model specs: one TOML file per judge model, validated at start-up. The built-in ones
ship inside the package (``reward_service/judge_models/``); a directory of the user's own
(``judge.specs_dir``) adds to them, a spec there replacing the built-in of the same name.

A spec names the served model, the prompt (system text; the shared part — instructions,
problem, reference — and the rollout-specific part, in that order, so vLLM's prefix cache
serves the rollouts of one problem), sampling parameters, the output constraint's server
dialect and the verdict parser. Placeholders use ``$name``: ``$problem``, ``$reference``,
``$parts`` (number of sub-answers), ``$response`` (the answer span, or thinking and answer),
``$answer`` (the extracted final answer; "(none found)" when there is none).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reward_service.verifiers.judge.parsers import PARSERS

PLACEHOLDERS = frozenset({"problem", "reference", "parts", "response", "answer"})
ROLLOUT_ONLY = ("$response", "$answer")


class Dialect(StrEnum):
    """How the output constraint is sent: vLLM's ``structured_outputs`` (production), or
    llama.cpp's ``response_format`` JSON schema / GBNF ``grammar`` (the CPU test server)."""

    VLLM = "vllm"
    LLAMA_CPP = "llama_cpp"


class Sampling(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(0.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(256, ge=1)
    seed: int | None = 0


class Prompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str = ""
    shared: str
    """Instructions, problem and reference: identical for every rollout of a problem."""
    rollout: str
    """The part that differs per rollout: must contain ``$response`` or ``$answer``."""

    @field_validator("shared", "rollout", "system")
    @classmethod
    def _known_placeholders(cls, text: str) -> str:
        names = {
            m.group("named") or m.group("braced")
            for m in Template.pattern.finditer(text)
            if m.group("named") or m.group("braced")
        }
        unknown = names - PLACEHOLDERS
        if unknown:
            raise ValueError(f"unknown placeholders {sorted(unknown)}")
        return text


class JudgeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    served_model: str
    """The model name the server knows (``--served-model-name`` in vLLM)."""
    template_version: str
    """Bump when the prompt changes: it is part of every judge cache key."""
    parser: str
    dialect: Dialect = Dialect.VLLM
    judges_process: bool = False
    """The prompt asks for a verdict on the solving process, not only the final answer."""
    send_thinking: bool = False
    """Send the thinking span too (default: only the answer span)."""
    max_response_chars: int = Field(6000, ge=100)
    """Longer answer spans keep their end (where the final answer is)."""
    license_note: str | None = None
    sampling: Sampling = Sampling()
    prompt: Prompt

    @field_validator("parser")
    @classmethod
    def _known_parser(cls, name: str) -> str:
        if name not in PARSERS:
            raise ValueError(f"unknown parser {name!r}; known: {sorted(PARSERS)}")
        return name

    @field_validator("prompt")
    @classmethod
    def _response_last(cls, prompt: Prompt) -> Prompt:
        fixed = prompt.shared + prompt.system
        if not any(p in prompt.rollout for p in ROLLOUT_ONLY) or any(
            p in fixed for p in ROLLOUT_ONLY
        ):
            raise ValueError("$response or $answer belongs in the rollout part only")
        return prompt


class SpecError(ValueError):
    """A judge spec file that does not load or validate."""


def _read(files: Iterable[Traversable]) -> dict[str, JudgeSpec]:
    specs: dict[str, JudgeSpec] = {}
    for path in sorted(files, key=lambda f: f.name):
        try:
            spec = JudgeSpec.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, ValidationError) as error:
            raise SpecError(f"{path.name}: {error}") from error
        if spec.name in specs:
            raise SpecError(f"{path.name}: duplicate spec name {spec.name!r}")
        specs[spec.name] = spec
    return specs


def load_specs(directory: Path) -> dict[str, JudgeSpec]:
    """Every ``*.toml`` spec in ``directory`` by name; raises :class:`SpecError` naming the
    first bad file (or a missing directory), so a broken spec stops start-up, not a request."""
    if not directory.is_dir():
        raise SpecError(f"judge specs directory {str(directory)!r} does not exist")
    return _read(directory.glob("*.toml"))


def builtin_specs() -> dict[str, JudgeSpec]:
    """The specs shipped inside the package, by name."""
    shipped = resources.files("reward_service.judge_models")
    return _read(f for f in shipped.iterdir() if f.name.endswith(".toml"))


def available_specs(directory: Path | None) -> dict[str, JudgeSpec]:
    """The built-in specs, with ``directory``'s added (a same-named one replaces the built-in)."""
    return builtin_specs() | (load_specs(directory) if directory is not None else {})
