from __future__ import annotations

from collections.abc import Iterator

import pytest

from reward_service.adapters import settings as adapter_settings_module
from tests.serving import Server


@pytest.fixture(params=["http", "grpc"])
def adapter_env(
    request: pytest.FixtureRequest, server: Server, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Point the adapters at the test server, as a trainer's environment would."""
    url = server.http_url if request.param == "http" else server.grpc_url
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_URL", url)
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_UNSCORABLE_REWARD", "0.0")
    reset_adapters()
    yield
    reset_adapters()


def reset_adapters() -> None:
    """Forget the adapters' settings and client, so the next call reads the environment."""
    module = adapter_settings_module
    if module.adapter_client.cache_info().currsize:
        module.adapter_client().close()
    module.adapter_client.cache_clear()
    module.adapter_settings.cache_clear()
