"""The Dockerfile agrees with the chart (user, ports, specs path, command), its build context
carries what it copies and nothing else, and its HEALTHCHECK works against a real server. No
docker engine runs here: the image itself is not built by the tests."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys

import pytest

from tests.helm.conftest import ROOT, default_values
from tests.serving import Server, free_port

Instruction = tuple[str, str]


def dockerfile() -> list[Instruction]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        pending += stripped.removesuffix("\\").strip() + " "
        if not stripped.endswith("\\"):
            keyword, _, rest = pending.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
            pending = ""
    return instructions


def args(keyword: str) -> list[str]:
    return [rest for kw, rest in dockerfile() if kw == keyword]


def final_stage() -> list[Instruction]:
    instructions = dockerfile()
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    return instructions[last_from:]


def test_multi_stage_slim_runtime() -> None:
    froms = args("FROM")
    assert len(froms) >= 2, "builder and runtime stages"
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in [f"ARG {a}" for a in args("ARG")]
    assert final_stage()[0][1].startswith("${PYTHON_IMAGE}")
    copies = [rest for kw, rest in final_stage() if kw == "COPY"]
    assert any(c.startswith("--from=builder /opt/venv") for c in copies)


def test_image_user_matches_the_pod_security_context() -> None:
    (user,) = [rest for kw, rest in final_stage() if kw == "USER"]
    pod = default_values()["podSecurityContext"]
    assert user == f"{pod['runAsUser']}:{pod['runAsGroup']}"
    assert pod["runAsUser"] != 0


def test_image_ports_match_the_chart() -> None:
    exposed = {int(p) for line in args("EXPOSE") for p in line.split()}
    assert exposed == set(default_values()["containerPorts"].values()) == {8000, 50051}


def test_judge_specs_come_with_the_package() -> None:
    # the specs are package data: the image needs no copy of them and the chart no directory
    assert default_values()["judge"]["specsDir"] == ""
    env = " ".join(rest for kw, rest in final_stage() if kw == "ENV")
    assert "REWARD_SERVICE_JUDGE__SPECS_DIR" not in env


def test_command_is_reward_service_serve() -> None:
    (entrypoint,) = args("ENTRYPOINT")
    (cmd,) = args("CMD")
    assert json.loads(entrypoint)[-1] == "reward-service"
    assert json.loads(cmd) == ["serve"]


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, for the simple patterns used here: the last matching pattern wins, and a
    pattern matching a parent folder matches what is inside it."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.removeprefix("!").rstrip("/").removeprefix("**/")
        if any(
            fnmatch.fnmatch(p, glob) or fnmatch.fnmatch(p.split("/")[-1], glob) for p in prefixes
        ):
            result = not negated
    return result


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_build_context_has_what_the_dockerfile_copies() -> None:
    patterns = dockerignore()
    sources = [
        source
        for kw, rest in dockerfile()
        if kw == "COPY" and not rest.startswith("--from")
        for source in rest.split()[:-1]
    ]
    assert sources, "no COPY from the context"
    for source in sources:
        assert not ignored(source.rstrip("/"), patterns), f"{source} is excluded from the context"
    for inside in (
        "reward_service/settings.py",
        "reward_service/judge_models/qwen2.5-instruct.toml",
    ):
        assert not ignored(inside, patterns)


@pytest.mark.parametrize(
    "path",
    [".git", ".venv/bin/python", ".cache/helm/helm", "tests/data/corpus", "bench/cache.py",
     "helm/reward-service/values.yaml", "reward_service/__pycache__/cli.cpython-311.pyc"],
)  # fmt: skip
def test_build_context_leaves_out(path: str) -> None:
    assert ignored(path, dockerignore())


def healthcheck_command() -> list[str]:
    (healthcheck,) = args("HEALTHCHECK")
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert isinstance(command, list)
    assert command[0] == "python"
    return command


def run_healthcheck(port: int) -> int:
    command = [sys.executable, *healthcheck_command()[1:]]
    env = {**os.environ, "REWARD_SERVICE_HTTP_PORT": str(port)}
    return subprocess.run(command, env=env, capture_output=True, timeout=30).returncode


def test_healthcheck_probes_healthz(server: Server) -> None:
    assert "/healthz" in " ".join(healthcheck_command())
    port = int(server.http_url.rsplit(":", 1)[1])
    assert run_healthcheck(port) == 0
    assert run_healthcheck(free_port()) != 0


def test_image_installs_the_redis_client_the_chart_configures() -> None:
    """Redis is an extra of the package; the chart's cache (in-chart or external) needs it, and
    without it the service refuses to start with a cache URL."""
    installs = [run for run in args("RUN") if "pip install" in run]
    assert any(".[redis]" in run for run in installs), installs
