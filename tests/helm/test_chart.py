"""The chart lints, renders, and every rendered manifest is a valid Kubernetes object, for each
values combination a user would install."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from tests.helm.conftest import COMBOS, Helm

# The chart's kubeVersion floor and helm v4's client version.
KUBERNETES_VERSIONS = ("1.28", "1.35")
# Custom resources kubernetes-validate has no schema for. Only these are skipped, by name: any
# other kind without a schema fails the test. The ServiceMonitor's contract is checked in
# test_behaviour.py instead.
CRD_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}

EXPECTED_KINDS = {
    "defaults": {"ServiceAccount", "ConfigMap", "Service", "Deployment", "NetworkPolicy"},
    "in-chart-redis": {
        "ServiceAccount",
        "ConfigMap",
        "Service",
        "Deployment",
        "NetworkPolicy",
        "Secret",
    },
    "redis-password-secret": {
        "ServiceAccount",
        "ConfigMap",
        "Service",
        "Deployment",
        "NetworkPolicy",
    },
    "no-network-policies": {"ServiceAccount", "ConfigMap", "Service", "Deployment", "Secret"},
    "everything": {
        "ServiceAccount",
        "ConfigMap",
        "Service",
        "Deployment",
        "NetworkPolicy",
        "Secret",
        "PersistentVolumeClaim",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ServiceMonitor",
    },
}


@pytest.mark.parametrize("combo", COMBOS)
def test_lint(helm: Helm, combo: str) -> None:
    helm.lint(COMBOS[combo])


@pytest.mark.parametrize("combo", COMBOS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_are_valid_kubernetes(helm: Helm, combo: str, version: str) -> None:
    manifests = helm.template(COMBOS[combo])
    assert manifests.docs, "nothing rendered"
    for doc in manifests.docs:
        if (doc["apiVersion"], doc["kind"]) in CRD_KINDS:
            continue
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            # strict: unknown fields are errors too, as the API server's strict validation does.
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(p) for p in error.path)
            pytest.fail(f"{combo}: {where} is invalid for Kubernetes {version}: {path}: {error}")


@pytest.mark.parametrize("combo", EXPECTED_KINDS)
def test_rendered_kinds(helm: Helm, combo: str) -> None:
    assert helm.template(COMBOS[combo]).kinds() == EXPECTED_KINDS[combo]


def component_counts(docs: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in docs:
        if doc["kind"] in {"Deployment", "Service"}:
            component = doc["metadata"]["labels"]["app.kubernetes.io/component"]
            counts[component] = counts.get(component, 0) + 1
    return counts


@pytest.mark.parametrize(
    ("combo", "expected"),
    [
        ("defaults", {"server": 2}),
        ("external-redis", {"server": 2}),
        ("in-chart-redis", {"server": 2, "redis": 2}),
        ("vllm-judge", {"server": 2, "judge": 2}),
        ("external-judge", {"server": 2}),
        ("everything", {"server": 2, "redis": 2, "judge": 2}),
    ],
)
def test_optional_components(helm: Helm, combo: str, expected: dict[str, int]) -> None:
    """A Deployment and a Service per component, and only for the enabled ones."""
    assert component_counts(helm.template(COMBOS[combo]).docs) == expected


@pytest.mark.parametrize(
    ("flag", "kind"),
    [
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("pdb", "PodDisruptionBudget"),
        ("serviceMonitor", "ServiceMonitor"),
    ],
)
def test_flagged_resources(helm: Helm, flag: str, kind: str) -> None:
    assert kind not in helm.template().kinds()
    assert kind in helm.template({flag: {"enabled": True}}).kinds()
