"""Shared fixtures: one real worker pool for the session, the vendored labelled corpus, and a
helper to run coroutines from sync tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reward_service import RewardService, Settings
from reward_service.settings import SymbolicSettings
from tests.serving import Server, running_server

T = TypeVar("T")
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
TEST_TIMEOUT_S = 2.0


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def make_settings(**overrides: Any) -> Settings:
    overrides.setdefault("symbolic", SymbolicSettings(workers=2, task_timeout_s=TEST_TIMEOUT_S))
    return Settings(**overrides)


@pytest.fixture(scope="session")
def service() -> Iterator[RewardService]:
    svc = RewardService(make_settings())
    yield svc
    svc.close()


def load_corpus(name: str) -> list[dict[str, Any]]:
    path = CORPUS / name
    if not path.exists():
        pytest.fail(f"corpus file missing: {path}")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server for the session (no auth, default limits)."""
    with running_server(tmp_path_factory.mktemp("server")) as running:
        yield running
