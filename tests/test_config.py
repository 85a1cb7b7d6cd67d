"""Settings that fail loudly: every REWARD_SERVICE_* name is checked at start-up, every
setting is a flag too, and command-line mistakes are one line, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reward_service.adapters import settings as adapter_settings_module
from reward_service.adapters.settings import AdapterSettings
from reward_service.config import UnknownSetting, check_environment, effective
from reward_service.settings import Settings
from tests.serving import ROOT

CLI = [str(Path(sys.executable).parent / "reward-service")]


def _run(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REWARD_SERVICE_")}
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        cwd=ROOT,
        env={**clean, **(env or {})},
    )


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("REWARD_SERVICE_AUTH_TOKE", "REWARD_SERVICE_AUTH_TOKEN"),
        ("REWARD_SERVICE_JUDGE_URL", "REWARD_SERVICE_JUDGE__URL"),
        ("REWARD_SERVICE_SYMBOLIC__WORKER", "REWARD_SERVICE_SYMBOLIC__WORKERS"),
        ("REWARD_SERVICE_CLIENT_UR", "REWARD_SERVICE_CLIENT_URL"),
        ("reward_service_cache_ur", "REWARD_SERVICE_CACHE_URL"),
    ],
)
def test_a_misspelt_setting_is_refused_with_the_close_match(name: str, suggestion: str) -> None:
    with pytest.raises(
        UnknownSetting, match=f"unknown setting {name} \\(did you mean {suggestion}\\?\\)"
    ):
        check_environment({name: "x"}, client=AdapterSettings)


def test_known_names_and_kubernetes_service_links_pass() -> None:
    check_environment(
        {
            "REWARD_SERVICE_AUTH_TOKEN": "t",
            "REWARD_SERVICE_JUDGE__URL": "http://j/v1",
            "REWARD_SERVICE_SYMBOLIC": "{}",
            "REWARD_SERVICE_REWARDS__RESPONSE_FAULT": "-1",
            "REWARD_SERVICE_CLIENT_TIMEOUT_S": "3",
            "REWARD_SERVICE_SERVICE_HOST": "10.0.0.1",
            "REWARD_SERVICE_PORT": "tcp://10.0.0.1:8000",
            "REWARD_SERVICE_PORT_8000_TCP_ADDR": "10.0.0.1",
            "OTHER_THING": "x",
        },
        client=AdapterSettings,
    )


def test_the_adapters_refuse_a_misspelt_client_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARD_SERVICE_CLIENT_TOKN", "t")
    adapter_settings_module.adapter_settings.cache_clear()
    try:
        with pytest.raises(UnknownSetting, match="REWARD_SERVICE_CLIENT_TOKEN"):
            adapter_settings_module.adapter_settings()
    finally:
        adapter_settings_module.adapter_settings.cache_clear()


def test_serve_with_a_misspelt_token_exits_naming_it() -> None:
    done = _run("serve", env={"REWARD_SERVICE_AUTH_TOKE": "x"})
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "reward-service: error: unknown setting REWARD_SERVICE_AUTH_TOKE "
        "(did you mean REWARD_SERVICE_AUTH_TOKEN?)"
    ]


def test_every_setting_is_a_flag(tmp_path: Path) -> None:
    line = json.dumps({"response": "<think>a</think>\\boxed{5}", "gold": "4"})
    done = _run(
        "score",
        "-",
        "-o",
        "-",
        "-q",
        "--symbolic.workers",
        "1",
        "--rewards.incorrect",
        "-0.5",
        stdin=line + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reward"] == -0.5
    assert "--auth-exempt-paths" in _run("serve", "--help").stdout


def test_version_and_json_logs_with_secrets_masked() -> None:
    assert _run("--version").stdout.strip() == "reward-service 0.1.0"
    done = _run(
        "score",
        "-",
        "-o",
        "-",
        "-q",
        "--log-format",
        "json",
        "--log-level",
        "DEBUG",
        env={"REWARD_SERVICE_AUTH_TOKEN": "s3cret", "REWARD_SERVICE_CACHE_SIZE": "10"},
        stdin=json.dumps({"response": "<think>a</think>4", "gold": "4"}) + "\n",
    )
    assert done.returncode == 0, done.stderr
    logged = [json.loads(line) for line in done.stderr.splitlines()]
    settings_line = next(e for e in logged if "settings:" in e["message"])
    assert {"ts", "level", "logger", "message"} <= set(settings_line)
    assert "s3cret" not in done.stderr and '"cache_size": 10' in settings_line["message"]


def test_effective_configuration_masks_secrets() -> None:
    shown = effective(Settings(auth_token="tok", cache_url="redis://user:pw@h:6379/0"))
    assert shown["auth_token"] == "**********"
    assert shown["cache_url"] == "redis://user:***@h:6379/0"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["score", "missing.jsonl", "-o", "-"], "", "cannot open missing.jsonl"),
        (["score", "-", "-o", "-", "--batch-size", "0"], "", "--batch-size: must be at least 1"),
        (["score", "-", "-o", "-", "--symbolic.workers", "0"], "", "symbolic.workers"),
    ],
)
def test_command_line_mistakes_are_one_line(args: list[str], stdin: str, message: str) -> None:
    done = _run(*args, stdin=stdin)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert message in done.stderr.strip().splitlines()[-1]


def test_a_blank_line_is_answered_as_one() -> None:
    done = _run(
        "score",
        "-",
        "-o",
        "-",
        "-q",
        stdin='\n{"response": "4", "gold": "4", "template": "plain"}\n',
    )
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert results[0]["detail"] == "line 1: blank line: every line must hold one JSON request"
    assert results[1]["verdict"] == "correct"
