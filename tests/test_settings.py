import pytest
from pydantic import ValidationError

from reward_service.settings import Settings


def test_environment_overrides_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARD_SERVICE_REWARDS__FILTERED", "-0.5")
    monkeypatch.setenv("REWARD_SERVICE_SYMBOLIC__TASK_TIMEOUT_S", "3")
    monkeypatch.setenv("REWARD_SERVICE_ROUTING_RULES", '{"gaokao*": "judge"}')
    settings = Settings()
    assert settings.rewards.filtered == -0.5
    assert settings.symbolic.task_timeout_s == 3
    assert settings.routing_rules == {"gaokao*": "judge"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REWARD_SERVICE_REWARDS__CORECT", "2"),
        ("REWARD_SERVICE_SYMBOLIC__TASK_TIMEOUT_S", "-1"),
        ("REWARD_SERVICE_ROUTING_RULES", '{"x": "sympy"}'),
        ("REWARD_SERVICE_REWARDS__PARTIAL_POLICY", "half"),
    ],
)
def test_bad_settings_fail_at_start_up(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_config_hash_tracks_verdict_settings_only() -> None:
    base = Settings()
    assert Settings(max_candidates=3).config_hash() != base.config_hash()
    assert Settings(rewards={"filtered": 0.0}).config_hash() != base.config_hash()
    assert Settings(symbolic={"workers": 7}).config_hash() == base.config_hash()
