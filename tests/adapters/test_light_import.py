"""A trainer process imports the client and the adapters without the scoring stack: no
sympy or Math-Verify (1.8 s and ~100 MB per process), no FastAPI, Redis, pyarrow, matplotlib."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "sympy",
    "math_verify",
    "latex2sympy2_extended",
    "antlr4",
    "fastapi",
    "uvicorn",
    "redis",
    "pyarrow",
    "matplotlib",
    "reward_service.service",
)


@pytest.mark.parametrize(
    "module",
    [
        "reward_service.client",
        "reward_service.adapters.verl",
        "reward_service.adapters.openrlhf",
        "reward_service.adapters.trl",
        "reward_service.adapters.slime",
    ],
)
def test_adapters_load_none_of_the_scoring_stack(module: str) -> None:
    code = (
        f"import sys, json, {module}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_the_service_still_loads_through_the_package() -> None:
    code = "import reward_service as r; print(r.RewardService.__name__, r.Blame.RESPONSE.value)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["RewardService", "response"]
