"""Settings of the trainer-side adapters: which service to call and how to map results.

Environment variables with the prefix ``REWARD_SERVICE_CLIENT_``, e.g.
``REWARD_SERVICE_CLIENT_URL=grpc://reward:50051``. Read once per process.
"""

from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from reward_service.client import AsyncRewardClient, RewardClient
from reward_service.config import check_environment
from reward_service.settings import CLIENT_ENV_PREFIX
from reward_service.types import RouteHint, Template


class AdapterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=CLIENT_ENV_PREFIX, extra="forbid", frozen=True)

    url: str = "http://127.0.0.1:8000"
    """The service: ``http://host:port`` or ``grpc://host:port``."""
    token: SecretStr | None = None
    timeout_s: float = Field(300.0, gt=0)
    """Deadline of one scoring call."""
    unscorable_reward: float = -1.0
    """The score of a *masked* result (unscorable through no fault of the response: a broken
    gold, the judge or a worker down) where the trainer needs a number (verl, OpenRLHF,
    slime); such samples are flagged ``masked`` beside it, and TRL gets None. Keep it at or
    below your incorrect reward: a sample that cannot be masked must never be worth more than
    a wrong answer. (A result the response made unscorable gets its penalty, not this.)"""
    template: Template = Template.R1
    think_tags_stripped: bool = False
    """True when the trainer decodes with ``skip_special_tokens=True`` and the tokenizer marks
    ``<think>``/``</think>`` special (verl's managers and TRL decode so), so every response
    arrives without its tags. A response with no tag left is then sent as ``template=plain``:
    the whole text is the answer span, its final anchored answer is graded and the thinking
    span's format cannot be checked (a response truncated after an early ``\\boxed{}`` is
    graded on it: pass the truncation flag). A response that still has a tag keeps
    ``template``. Left False, such responses are filtered ``format.missing_think_close``."""
    think_in_prompt: bool | None = None
    """None: decided per sample — True when the trainer passes a prompt that leaves
    ``<think>`` open, else read from the response by the service (a ``</think>`` with no
    ``<think>`` before it)."""
    route: RouteHint = RouteHint.AUTO


@lru_cache(maxsize=1)
def adapter_settings() -> AdapterSettings:
    """The client settings, read once; a misspelt ``REWARD_SERVICE_*`` variable raises
    :class:`~reward_service.config.UnknownSetting` here instead of being ignored."""
    check_environment(client=AdapterSettings)
    return AdapterSettings()


def _options(settings: AdapterSettings) -> dict[str, object]:
    token = settings.token.get_secret_value() if settings.token else None
    return {"token": token, "timeout_s": settings.timeout_s}


@lru_cache(maxsize=1)
def adapter_client() -> RewardClient:
    """The process-wide blocking client."""
    settings = adapter_settings()
    return RewardClient(settings.url, **_options(settings))


_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncRewardClient] = (
    weakref.WeakKeyDictionary()
)


def async_adapter_client() -> AsyncRewardClient:
    """The async client of the running event loop (async clients are bound to one loop)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        settings = adapter_settings()
        client = AsyncRewardClient(settings.url, **_options(settings))  # type: ignore[arg-type]
        _async_clients[loop] = client
    return client
