"""The judge from a regular (non-editable) install: a wheel built from the checkout, installed
into a fresh venv, run from a directory that is not the checkout, finds its specs by name —
the built-in ones, a user's own directory of specs, and a served model name set by a setting.

The fresh venv gets the wheel only; the dependencies come from this venv's site-packages,
appended to its path (so the checkout's editable install is not what runs)."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.judge_server import Script, judge_server

ROOT = Path(__file__).resolve().parents[2]
ROW = {
    "id": "r1",
    "response": "<think>东三北四</think>甲向东走三步。",
    "gold": "向东走三步",
    "problem": "甲向东走三步，乙向北走四步。甲往哪个方向走？",
    "route": "judge",
}
MY_SPEC = """
name = "my-judge"
served_model = "my-org/my-judge"
template_version = "1"
parser = "choice_abc"

[prompt]
shared = "Problem: $problem\\nReference: $reference\\n"
rollout = "Answer: $response\\nReply A, B or C."
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv with the wheel of this checkout installed."""
    base = tmp_path_factory.mktemp("install")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(base / "dist"),
            "--quiet",
            "--disable-pip-version-check",
        ],
        check=True,
        cwd=base,
        capture_output=True,
    )
    (wheel,) = (base / "dist").glob("reward_service-*.whl")
    venv.create(base / "venv", with_pip=False)
    python = base / "venv" / "bin" / "python"
    target = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            target,
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    (Path(target) / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    with judge_server() as running:
        yield running


def score(python: Path, cwd: Path, url: str, model: str, **env: str) -> dict[str, object]:
    source = cwd / "in.jsonl"
    source.write_text(json.dumps(ROW, ensure_ascii=False) + "\n")
    done = subprocess.run(
        [
            str(python),
            "-m",
            "reward_service.cli",
            "score",
            str(source),
            "-o",
            "-",
            "-q",
            "--judge-url",
            url,
            "--judge-model",
            model,
        ],
        capture_output=True,
        cwd=cwd,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("REWARD_SERVICE_")} | env,
    )
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_installed_package_is_what_runs(installed: Path, tmp_path: Path) -> None:
    found = subprocess.run(
        [str(installed), "-c", "import reward_service; print(reward_service.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert not Path(found).resolve().is_relative_to(ROOT)


def test_a_built_in_spec_by_name(
    installed: Path, tmp_path: Path, scripted: tuple[str, Script]
) -> None:
    url, script = scripted
    result = score(installed, tmp_path, url, "qwen2.5-instruct")
    assert (result["status"], result["reason"], result["reward"]) == (
        "scored",
        "judge.correct",
        1.0,
    )
    assert script.requests[-1]["model"] == "Qwen/Qwen2.5-7B-Instruct"


def test_served_model_name_by_setting(
    installed: Path, tmp_path: Path, scripted: tuple[str, Script]
) -> None:
    url, script = scripted
    served = "Qwen/Qwen2.5-72B-Instruct"
    result = score(
        installed, tmp_path, url, "qwen2.5-instruct", REWARD_SERVICE_JUDGE__SERVED_MODEL=served
    )
    assert result["reason"] == "judge.correct"
    assert script.requests[-1]["model"] == served


def test_a_users_spec_directory_adds_to_the_built_in_ones(
    installed: Path, tmp_path: Path, scripted: tuple[str, Script]
) -> None:
    url, script = scripted
    specs = tmp_path / "my-specs"
    specs.mkdir()
    (specs / "mine.toml").write_text(MY_SPEC)
    env = {"REWARD_SERVICE_JUDGE__SPECS_DIR": str(specs)}
    assert score(installed, tmp_path, url, "my-judge", **env)["reason"] == "judge.correct"
    assert script.requests[-1]["model"] == "my-org/my-judge"
    assert script.requests[-1]["structured_outputs"] == {"choice": ["A", "B", "C"]}
    # the built-in specs are still there beside the user's own
    assert score(installed, tmp_path, url, "xverify", **env)["reason"] == "judge.correct"
