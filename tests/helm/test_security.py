"""Who can reach what in the rendered chart: the in-chart Redis requires a password the manifests
never hold in clear (run for real from the rendered command), NetworkPolicies select the pods
they mean and admit only the listed peers, trainer paths can be exempted from the token, and no
Service-link variables are injected into the pods."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis
import yaml

from reward_service.cache.redis import RedisCache
from tests.helm.conftest import COMBOS, SCRAPER, TRAINER_NAMESPACE, Helm, Manifests
from tests.helm.test_behaviour import load_settings, service_env
from tests.serving import free_port, running_server

REDIS = COMBOS["in-chart-redis"]
# Kubernetes' dependent-variable syntax in env values, command and args: $(NAME), $$ escapes.
VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def secret_value(manifests: Manifests, reference: dict[str, Any]) -> str:
    """The value a secretKeyRef resolves to, from a Secret the chart rendered."""
    ref = reference["secretKeyRef"]
    (secret,) = [s for s in manifests.of_kind("Secret") if s["metadata"]["name"] == ref["name"]]
    return base64.b64decode(secret["data"][ref["key"]]).decode()


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' expansion: a reference to an earlier variable is replaced, others are kept."""

    def one(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        return env.get(match[1], match[0])

    return VAR_REF.sub(one, value)


def container_env(manifests: Manifests, container: dict[str, Any]) -> dict[str, str]:
    """The container's env as the kubelet builds it: secrets resolved, entries expanded in
    order (ConfigMap entries are not this function's concern)."""
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "valueFrom" in item:
            env[item["name"]] = secret_value(manifests, item["valueFrom"])
        else:
            env[item["name"]] = expand(item["value"], env)
    return env


def pod_specs(manifests: Manifests) -> list[dict[str, Any]]:
    return [d["spec"]["template"]["spec"] for d in manifests.of_kind("Deployment")]


def pod_labels(manifests: Manifests, component: str) -> dict[str, str]:
    labels = manifests.one("Deployment", component)["spec"]["template"]["metadata"]["labels"]
    return dict(labels)


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A label selector the chart writes (matchLabels only) against a pod's labels."""
    assert set(selector) <= {"matchLabels"}, selector
    return dict(selector.get("matchLabels", {})).items() <= labels.items()


def policies(manifests: Manifests) -> dict[str, dict[str, Any]]:
    """NetworkPolicies by the component whose pods they select."""
    return {
        p["metadata"]["labels"]["app.kubernetes.io/component"]: p
        for p in manifests.of_kind("NetworkPolicy")
    }


def port_names(container: dict[str, Any]) -> set[str]:
    return {p["name"] for p in container["ports"]}


# -- the in-chart Redis password ------------------------------------------------------------------


def test_generated_password_is_only_in_the_secret(helm: Helm) -> None:
    manifests = helm.template(REDIS)
    (secret,) = manifests.of_kind("Secret")
    (encoded,) = secret["data"].values()
    password = base64.b64decode(encoded).decode()
    assert re.fullmatch(r"[A-Za-z0-9]{32}", password)
    for doc in manifests.docs:
        if doc is not secret:
            text = yaml.safe_dump(doc)
            assert password not in text and encoded not in text, doc["metadata"]["name"]
    # Random per render, not a password baked into the chart.
    (again,) = helm.template({**REDIS, "podLabels": {"team": "rl"}}).of_kind("Secret")
    assert again["data"] != secret["data"]


@pytest.mark.parametrize("combo", ["in-chart-redis", "redis-password-secret", "everything"])
def test_redis_and_service_read_the_same_secret(helm: Helm, combo: str) -> None:
    manifests = helm.template(COMBOS[combo])
    given = COMBOS[combo]["redis"].get("auth", {})
    expected = {
        "secretKeyRef": {
            "name": given.get("existingSecret", "rl-reward-service-redis-auth"),
            "key": given.get("existingSecretKey", "redis-password"),
        }
    }
    for component in ("redis", "server"):
        container = manifests.container(component)
        (entry,) = [e for e in container["env"] if e["name"] == "REDIS_PASSWORD"]
        assert entry["valueFrom"] == expected, component
    assert "REDIS_PASSWORD" not in json.dumps(manifests.config())
    env = service_env(manifests)
    names = [e["name"] for e in manifests.container()["env"]]
    # Kubernetes expands $(REDIS_PASSWORD) only from entries defined before the URL.
    assert names.index("REDIS_PASSWORD") < names.index("REWARD_SERVICE_CACHE_URL")
    assert urlsplit(env["REWARD_SERVICE_CACHE_URL"]).password == "$(REDIS_PASSWORD)"
    redis_container = manifests.container("redis")
    assert not any("requirepass" in a for a in redis_container["args"])
    if given:
        assert manifests.of_kind("Secret") == []


@contextmanager
def rendered_redis(manifests: Manifests, cwd: Path) -> Iterator[str]:
    """The in-chart Redis container's command, args and env, run here (bound to loopback);
    yields its password once it answers."""
    container = manifests.container("redis")
    env = container_env(manifests, container)
    port = int(container["args"][container["args"].index("--port") + 1])
    process = subprocess.Popen(
        [*container["command"], *container["args"], "--bind", "127.0.0.1"],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        client = redis.Redis(port=port, password=env["REDIS_PASSWORD"])
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, process.communicate()[1].decode()
                assert time.monotonic() < deadline, "rendered redis did not come up"
                time.sleep(0.05)
        yield env["REDIS_PASSWORD"]
    finally:
        process.kill()
        process.wait(timeout=10)


def test_rendered_redis_refuses_clients_without_the_password(helm: Helm, tmp_path: Path) -> None:
    port = free_port()
    manifests = helm.template({"redis": {"enabled": True, "port": port}})
    container = manifests.container("redis")
    with rendered_redis(manifests, tmp_path):
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port).set("reward:key", "1.0")
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, password="not-the-password").ping()
        # The probes' redis-cli authenticates through REDISCLI_AUTH.
        probe = container["readinessProbe"]["exec"]["command"]
        env = {"PATH": os.environ["PATH"], **container_env(manifests, container)}
        done = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=10)
        assert done.stdout.strip() == "PONG"


def test_service_caches_in_the_rendered_redis(helm: Helm, tmp_path: Path) -> None:
    """A real server started with the cache URL the chart composes (password expanded from the
    Secret, the Service's name resolved to loopback) stores its scores in the rendered Redis."""
    port = free_port()
    manifests = helm.template({"redis": {"enabled": True, "port": port}})
    url = urlsplit(container_env(manifests, manifests.container())["REWARD_SERVICE_CACHE_URL"])
    assert url.hostname == manifests.one("Service", "redis")["metadata"]["name"]
    local = urlunsplit(url._replace(netloc=f":{url.password}@127.0.0.1:{url.port}"))
    with rendered_redis(manifests, tmp_path) as password:
        cache = RedisCache(local, ttl_s=60, timeout_s=2)

        async def round_trip() -> list[str | None]:
            await cache.set_many({"probe": "1"})
            return await cache.get_many(["probe"])

        assert asyncio.run(round_trip()) == ["1"]
        with running_server(tmp_path, cache_url=local) as server:
            body = {"response": "<think>2+2=4</think> The answer is \\boxed{4}.", "gold": "4"}
            reply = httpx.post(f"{server.http_url}/v1/score", json=body, timeout=30)
            assert reply.status_code == 200, reply.text
            assert reply.json()["verdict"] == "correct"
        assert redis.Redis(port=port, password=password).dbsize() >= 2


@pytest.mark.parametrize("password", ["p@ss/word", "with space", ""])
def test_password_the_url_cannot_carry_stops_redis(
    helm: Helm, tmp_path: Path, password: str
) -> None:
    """A user's Secret with characters a redis:// URL needs encoded fails loudly at start."""
    manifests = helm.template(COMBOS["redis-password-secret"])
    container = manifests.container("redis")
    done = subprocess.run(
        [*container["command"], *container["args"]],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "REDIS_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert done.returncode == 1
    assert "Secret cache-pw (key pw)" in done.stderr


# -- NetworkPolicies ------------------------------------------------------------------------------


def test_each_policy_selects_its_components_pods(helm: Helm) -> None:
    manifests = helm.template(COMBOS["everything"])
    found = policies(manifests)
    assert set(found) == {"server", "redis", "judge"}
    for component, policy in found.items():
        selected = [
            c
            for c in ("server", "redis", "judge")
            if matches(policy["spec"]["podSelector"], pod_labels(manifests, c))
        ]
        assert selected == [component]
        assert policy["spec"]["policyTypes"] == ["Ingress"]


@pytest.mark.parametrize("component", ["redis", "judge"])
def test_backends_admit_only_the_service_pods(helm: Helm, component: str) -> None:
    manifests = helm.template(COMBOS["everything"])
    (rule,) = policies(manifests)[component]["spec"]["ingress"]
    (peer,) = rule["from"]
    assert set(peer) == {"podSelector"}  # this namespace only
    admitted = [
        c
        for c in ("server", "redis", "judge")
        if matches(peer["podSelector"], pod_labels(manifests, c))
    ]
    assert admitted == ["server"]
    (port,) = rule["ports"]
    assert port["port"] in port_names(manifests.container(component))


def test_service_policy_defaults_to_its_own_namespace(helm: Helm) -> None:
    (rule,) = policies(helm.template())["server"]["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {}}]
    assert {p["port"] for p in rule["ports"]} == {"http", "grpc"}


def test_service_policy_admits_the_listed_peers(helm: Helm) -> None:
    manifests = helm.template(COMBOS["trainer-paths"])
    doors, metrics = policies(manifests)["server"]["spec"]["ingress"]
    assert doors["from"] == [TRAINER_NAMESPACE]
    assert {p["port"] for p in doors["ports"]} == {"http", "grpc"}
    assert metrics["from"] == [SCRAPER]
    assert [p["port"] for p in metrics["ports"]] == ["http"]
    assert {"http", "grpc"} <= port_names(manifests.container())


def test_policies_follow_their_flags(helm: Helm) -> None:
    assert set(policies(helm.template())) == {"server"}
    assert set(policies(helm.template(REDIS))) == {"server", "redis"}
    assert policies(helm.template(COMBOS["no-network-policies"])) == {}


def test_notes_tell_who_can_reach_the_service(helm: Helm) -> None:
    notes = helm.notes({"serviceMonitor": {"enabled": True}})
    assert "only pods in namespace training" in notes
    assert "networkPolicy.server.metricsFrom" in notes
    assert "networkPolicy.server.allowedFrom reach" in helm.notes(COMBOS["trainer-paths"])


# -- trainers without auth headers ----------------------------------------------------------------


def test_exempt_paths_reach_the_settings(helm: Helm, monkeypatch: pytest.MonkeyPatch) -> None:
    manifests = helm.template(COMBOS["trainer-paths"])
    settings = load_settings(service_env(manifests), monkeypatch)
    assert settings.auth_exempt_paths == ["/get_reward", "/slime/reward", "/slime/reward_details"]
    assert settings.auth_token is not None
    assert "/get_reward" in helm.notes(COMBOS["trainer-paths"])
    assert "REWARD_SERVICE_AUTH_EXEMPT_PATHS" not in helm.template(COMBOS["auth"]).config()


def test_exempt_paths_without_a_token_fail(helm: Helm) -> None:
    error = helm.template_error({"auth": {"exemptPaths": ["/get_reward"]}})
    assert "set auth.existingSecret" in error


# -- service links --------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", COMBOS)
def test_no_service_link_variables(helm: Helm, combo: str) -> None:
    """A Service named reward-service would otherwise inject REWARD_SERVICE_SERVICE_HOST & co.,
    which the service refuses as unknown settings."""
    for spec in pod_specs(helm.template(COMBOS[combo])):
        assert spec["enableServiceLinks"] is False
