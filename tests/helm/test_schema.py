"""values.schema.json: generated and up to date, every value documented, and bad values (typos,
wrong types, unknown enum members) rejected by helm before anything renders."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helm.conftest import CHART, Helm, HelmError, load_generator

BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"replica": 3}, "'replica' not allowed"),
    ({"image": {"repo": "x"}}, "'repo' not allowed"),
    ({"settings": {"symbolic": {"worker": 4}}}, "'worker' not allowed"),
    ({"settings": {"cache_url": "redis://x:6379/0"}}, "'cache_url' not allowed"),
    ({"settings": {"auth_token": "secret"}}, "'auth_token' not allowed"),
    ({"settings": {"symbolic": {"workers": "two"}}}, "/settings/symbolic/workers"),
    ({"settings": {"symbolic": {"workers": 0}}}, "/settings/symbolic/workers"),
    ({"settings": {"rewards": {"partial_policy": "half"}}}, "/settings/rewards/partial_policy"),
    ({"settings": {"routing_rules": {"gaokao*": "llm"}}}, "/settings/routing_rules"),
    ({"settings": {"repetition": {"tiers": [{"novelty": 2}]}}}, "/settings/repetition/tiers"),
    ({"settings": {"cache_two_level": "yes"}}, "/settings/cache_two_level"),
    ({"replicas": "2"}, "/replicas"),
    ({"containerPorts": {"http": 70000}}, "/containerPorts/http"),
    ({"service": {"type": "Ingress"}}, "/service/type"),
    ({"image": {"pullPolicy": "always"}}, "/image/pullPolicy"),
    ({"autoscaling": {"enabled": "true"}}, "/autoscaling/enabled"),
    ({"pdb": {"maxUnavailable": "half"}}, "/pdb/maxUnavailable"),
    ({"redis": {"external": {"url": "cache:6379"}}}, "/redis/external/url"),
    ({"judge": {"spec": "qwen2.5"}}, "/judge/spec"),
    ({"judge": {"external": {"url": "http://vllm:8000"}}}, "/judge/external/url"),
    ({"judge": {"vllm": {"modelCache": {"type": "hostPath"}}}}, "/judge/vllm/modelCache/type"),
    ({"judge": {"vllm": {"gpus": 2}}}, "'gpus' not allowed"),
    ({"tolerations": [{"key": "gpu", "efect": "NoSchedule"}]}, "'efect' not allowed"),
    ({"resources": {"limit": {"memory": "1Gi"}}}, "'limit' not allowed"),
    ({"securityContext": {"readOnlyRootFileSystem": True}}, "'readOnlyRootFileSystem'"),
    ({"auth": {"exemptPaths": ["get_reward"]}}, "/auth/exemptPaths/0"),
    ({"auth": {"exemptPaths": "/get_reward"}}, "/auth/exemptPaths"),
    ({"redis": {"auth": {"password": "x"}}}, "'password' not allowed"),
    (
        {"networkPolicy": {"server": {"allowedFrom": [{"namespaceSelecter": {}}]}}},
        "'namespaceSelecter' not allowed",
    ),
    ({"networkPolicy": {"redis": {"enabled": "no"}}}, "/networkPolicy/redis/enabled"),
]


def test_schema_and_spec_table_are_up_to_date() -> None:
    generator = load_generator()
    for path, content in generator.build().items():
        assert path.read_text() == content, (
            f"{path.relative_to(CHART)} is stale: run .venv/bin/python helm/gen_values_schema.py"
        )


def test_every_value_is_documented() -> None:
    _, missing = load_generator().value_docs((CHART / "values.yaml").read_text())
    assert missing == [], f"values without a comment above them: {missing}"


@pytest.mark.parametrize(("values", "message"), BAD_VALUES, ids=lambda v: str(v)[:60])
def test_bad_values_are_rejected(helm: Helm, values: dict[str, Any], message: str) -> None:
    error = helm.template_error(values)
    assert "don't meet the specifications of the schema" in error
    assert message in error


def test_lint_rejects_a_typo(helm: Helm) -> None:
    with pytest.raises(HelmError, match="'worker' not allowed"):
        helm.lint({"settings": {"symbolic": {"worker": 4}}})


@pytest.mark.parametrize(
    "values",
    [
        {"pdb": {"enabled": True, "minAvailable": "50%", "maxUnavailable": None}},
        {"settings": {"rewards": {"correct": 1, "incorrect": 0}}},
        {"settings": {"symbolic": {"workers": None}}},
        {"redis": {"external": {"url": "rediss://:pw@cache:6380/1"}}},
        {"judge": {"spec": "xverify", "external": {"url": "https://judge.example/openai/v1"}}},
        {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}},
    ],
    ids=lambda v: str(v)[:60],
)
def test_good_values_are_accepted(helm: Helm, values: dict[str, Any]) -> None:
    helm.template(values)
