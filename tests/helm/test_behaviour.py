"""What a user relies on in the rendered chart: probes on the right paths and ports, only real
settings, the judge and cache wired to the chart's own Services, a grace period longer than the
drain, secrets by reference, pods that roll on config changes."""

from __future__ import annotations

import math
import os
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import BaseModel

from reward_service.settings import Settings
from reward_service.verifiers.judge.spec import builtin_specs
from tests.helm.conftest import COMBOS, Helm, Manifests, merge
from tests.serving import Server

SPECS = builtin_specs()
VLLM_SPECS = sorted(name for name, spec in SPECS.items() if str(spec.dialect) == "vllm")
JUDGE = COMBOS["vllm-judge"]


def setting_env_names(model: type[BaseModel] = Settings, path: tuple[str, ...] = ()) -> set[str]:
    """Every environment variable the settings class reads: a field whose type has
    ``model_fields`` is a nested section, joined with ``__``."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if hasattr(annotation, "model_fields"):
            names |= setting_env_names(annotation, (*path, name))
        else:
            names.add("REWARD_SERVICE_" + "__".join((*path, name)).upper())
    return names


def service_env(manifests: Manifests) -> dict[str, Any]:
    """The REWARD_SERVICE_* variables a reward-service pod gets: the ConfigMap (envFrom) and the
    container's own env (secret references), the latter winning as in Kubernetes."""
    container = manifests.container()
    assert container["envFrom"] == [
        {"configMapRef": {"name": manifests.one("ConfigMap")["metadata"]["name"]}}
    ]
    env: dict[str, Any] = dict(manifests.config())
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return {k: v for k, v in env.items() if k.startswith("REWARD_SERVICE_")}


def load_settings(env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as the pod would build them from ``env`` (secret references get a dummy)."""
    for name in [n for n in os.environ if n.startswith("REWARD_SERVICE_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value if isinstance(value, str) else "from-a-secret")
    return Settings()


def container_port(container: dict[str, Any], port: int | str) -> int:
    """A probe's or Service's port (number or name) as the container port number."""
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


def selects(service: dict[str, Any], deployment: dict[str, Any]) -> bool:
    selector = service["spec"]["selector"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    return selector.items() <= labels.items()


def service_port(service: dict[str, Any], name: str) -> dict[str, Any]:
    (port,) = [p for p in service["spec"]["ports"] if p["name"] == name]
    return port


# -- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", COMBOS)
def test_every_variable_is_a_real_setting(helm: Helm, combo: str) -> None:
    manifests = helm.template(COMBOS[combo])
    known = setting_env_names()
    set_by_chart = set(manifests.config()) | {
        item["name"]
        for deployment in manifests.of_kind("Deployment")
        for container in deployment["spec"]["template"]["spec"]["containers"]
        for item in container.get("env", [])
        if item["name"].startswith("REWARD_SERVICE_")
    }
    assert all(name.startswith("REWARD_SERVICE_") for name in manifests.config())
    unknown = sorted(set_by_chart - known)
    assert not unknown, f"{combo}: {unknown} are not fields of reward_service.settings.Settings"


@pytest.mark.parametrize("combo", COMBOS)
def test_settings_load_from_rendered_env(
    helm: Helm, combo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service would start with what the chart renders: Settings() accepts every value."""
    settings = load_settings(service_env(helm.template(COMBOS[combo])), monkeypatch)
    assert settings.http_port == 8000
    assert settings.grpc_port == 50051
    assert settings.host == "0.0.0.0"
    assert settings.judge.specs_dir is None  # the built-in specs only


def test_settings_values_reach_the_service(helm: Helm, monkeypatch: pytest.MonkeyPatch) -> None:
    env = service_env(helm.template(COMBOS["everything"]))
    settings = load_settings(env, monkeypatch)
    assert settings.routing_rules == {"gaokao*": "judge"}
    assert [(t.novelty, t.min_run_bytes) for t in settings.repetition.tiers] == [(0.1, 4096)]
    assert settings.rewards.partial_policy == "fractional"
    assert settings.rewards.filtered == -0.5
    assert settings.symbolic.strict is False
    assert settings.symbolic.task_timeout_s == 2.5
    assert settings.max_body_bytes == 268435456
    assert settings.cache_two_level is True
    assert env["REWARD_SERVICE_MAX_BODY_BYTES"] == "268435456"  # not 2.68435456e+08


def test_workers_default_to_the_cpu_request(helm: Helm) -> None:
    """Without it the service would start one worker per CPU of the node."""
    manifests = helm.template()
    cpu = manifests.container()["resources"]["requests"]["cpu"]
    assert manifests.config()["REWARD_SERVICE_SYMBOLIC__WORKERS"] == str(cpu)


# -- ports and probes -----------------------------------------------------------------------------


@pytest.mark.parametrize("ports", [{}, {"containerPorts": {"http": 9000, "grpc": 9001}}])
def test_probes_hit_the_service_endpoints(helm: Helm, ports: dict[str, Any]) -> None:
    manifests = helm.template(ports)
    container = manifests.container()
    http_port = int(manifests.config()["REWARD_SERVICE_HTTP_PORT"])
    expected = {"startupProbe": "/readyz", "readinessProbe": "/readyz", "livenessProbe": "/healthz"}
    for probe, path in expected.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert container_port(container, get["port"]) == http_port, probe
    assert container["startupProbe"]["successThreshold"] == 1
    assert container["livenessProbe"]["successThreshold"] == 1
    assert http_port == ports.get("containerPorts", {}).get("http", 8000)
    grpc_port = int(manifests.config()["REWARD_SERVICE_GRPC_PORT"])
    assert container_port(container, "grpc") == grpc_port


def test_service_ports(helm: Helm) -> None:
    manifests = helm.template()
    service, container = manifests.one("Service"), manifests.container()
    assert selects(service, manifests.one("Deployment"))
    http, grpc = service_port(service, "http"), service_port(service, "grpc")
    assert (http["port"], container_port(container, http["targetPort"])) == (8000, 8000)
    assert (grpc["port"], container_port(container, grpc["targetPort"])) == (50051, 50051)
    assert grpc["appProtocol"] in {"kubernetes.io/h2c", "h2c"}


def test_judge_probes_use_vllm_health(helm: Helm) -> None:
    container = helm.template(JUDGE).container("judge")
    vllm_port = int(container["args"][container["args"].index("--port") + 1])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/health", probe
        assert container_port(container, get["port"]) == vllm_port == 8000, probe


def test_redis_probes_ping(helm: Helm) -> None:
    container = helm.template(COMBOS["in-chart-redis"]).container("redis")
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["exec"]["command"] == ["redis-cli", "-p", "6379", "ping"]


# -- judge ----------------------------------------------------------------------------------------


def test_judge_url_is_the_judge_service(helm: Helm) -> None:
    manifests = helm.template(JUDGE)
    service, deployment = manifests.one("Service", "judge"), manifests.one("Deployment", "judge")
    url = urlsplit(manifests.config()["REWARD_SERVICE_JUDGE__URL"])
    port = service_port(service, "http")
    assert (url.scheme, url.hostname, url.port, url.path) == (
        "http",
        service["metadata"]["name"],
        port["port"],
        "/v1",
    )
    assert selects(service, deployment)
    container = manifests.container("judge")
    vllm_port = int(container["args"][container["args"].index("--port") + 1])
    assert container_port(container, port["targetPort"]) == vllm_port
    assert manifests.config()["REWARD_SERVICE_JUDGE__MODEL"] == "qwen2.5-instruct"


@pytest.mark.parametrize("spec", VLLM_SPECS)
def test_vllm_serves_the_specs_model_name(helm: Helm, spec: str) -> None:
    manifests = helm.template({"judge": {"spec": spec, "vllm": {"enabled": True}}})
    args = manifests.container("judge")["args"]
    assert args[0] == SPECS[spec].served_model
    assert args[args.index("--served-model-name") + 1] == SPECS[spec].served_model
    assert manifests.config()["REWARD_SERVICE_JUDGE__MODEL"] == spec


def test_vllm_model_override_keeps_the_served_name(helm: Helm) -> None:
    args = helm.template(
        {"judge": {"vllm": {"enabled": True, "model": "Qwen/Qwen2.5-72B-Instruct-AWQ"}}}
    ).container("judge")["args"]
    assert args[0] == "Qwen/Qwen2.5-72B-Instruct-AWQ"
    assert args[args.index("--served-model-name") + 1] == "Qwen/Qwen2.5-7B-Instruct"


def test_vllm_runs_on_the_gpu_pool(helm: Helm) -> None:
    manifests = helm.template(JUDGE)
    pod = manifests.one("Deployment", "judge")["spec"]["template"]["spec"]
    container = manifests.container("judge")
    assert container["image"] == "vllm/vllm-openai:v0.33.0"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pod["nodeSelector"] == JUDGE["judge"]["vllm"]["nodeSelector"]
    assert pod["tolerations"] == JUDGE["judge"]["vllm"]["tolerations"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert env["HF_HOME"] == mounts["model-cache"] == "/root/.cache/huggingface"
    assert mounts["dshm"] == "/dev/shm"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes["model-cache"]


@pytest.mark.parametrize("existing", [None, "models"])
def test_vllm_model_cache_claim(helm: Helm, existing: str | None) -> None:
    cache = {"type": "persistentVolumeClaim", "existingClaim": existing}
    manifests = helm.template({"judge": {"vllm": {"enabled": True, "modelCache": cache}}})
    pod = manifests.one("Deployment", "judge")["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "model-cache"]
    claims = manifests.of_kind("PersistentVolumeClaim")
    if existing:
        assert claims == []
        assert volume["persistentVolumeClaim"]["claimName"] == existing
    else:
        (claim,) = claims
        assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]


def test_external_judge(helm: Helm) -> None:
    manifests = helm.template(COMBOS["external-judge"])
    assert manifests.config()["REWARD_SERVICE_JUDGE__URL"] == "http://vllm.inference:8000/v1"
    assert component_names(manifests) == {"server"}


def test_no_judge_by_default(helm: Helm) -> None:
    assert "REWARD_SERVICE_JUDGE__URL" not in service_env(helm.template())


def test_judge_api_key_by_secret_reference(helm: Helm) -> None:
    values = {"judge": {"apiKeySecret": {"name": "judge-key"}, "vllm": {"enabled": True}}}
    manifests = helm.template(values)
    reference = {"secretKeyRef": {"name": "judge-key", "key": "api-key"}}
    assert service_env(manifests)["REWARD_SERVICE_JUDGE__API_KEY"] == reference
    vllm_env = {e["name"]: e.get("valueFrom") for e in manifests.container("judge")["env"]}
    assert vllm_env["VLLM_API_KEY"] == reference


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"judge": {"vllm": {"enabled": True}, "external": {"url": "http://x:8000/v1"}}},
            "not both",
        ),
        ({"judge": {"spec": "smollm2-llamacpp", "vllm": {"enabled": True}}}, "llama_cpp"),
    ],
)
def test_judge_misconfiguration_fails(helm: Helm, values: dict[str, Any], message: str) -> None:
    assert message in helm.template_error(values)


# -- cache ----------------------------------------------------------------------------------------


def component_names(manifests: Manifests) -> set[str]:
    return {
        d["metadata"]["labels"]["app.kubernetes.io/component"]
        for d in manifests.docs
        if d["kind"] in {"Deployment", "Service"}
    }


def test_cache_url_is_the_redis_service(helm: Helm) -> None:
    manifests = helm.template(COMBOS["in-chart-redis"])
    service, deployment = manifests.one("Service", "redis"), manifests.one("Deployment", "redis")
    port = service_port(service, "redis")
    assert "REWARD_SERVICE_CACHE_URL" not in manifests.config()
    url = urlsplit(service_env(manifests)["REWARD_SERVICE_CACHE_URL"])
    assert (url.scheme, url.password, url.hostname, url.port, url.path) == (
        "redis",
        "$(REDIS_PASSWORD)",
        service["metadata"]["name"],
        port["port"],
        "/0",
    )
    assert selects(service, deployment)
    container = manifests.container("redis")
    redis_port = int(container["args"][container["args"].index("--port") + 1])
    assert container_port(container, port["targetPort"]) == redis_port


def test_in_chart_redis_is_a_hardened_cache(helm: Helm) -> None:
    manifests = helm.template(COMBOS["in-chart-redis"])
    container = manifests.container("redis")
    assert container["image"] == "redis:7-alpine"
    args = container["args"]
    assert args[args.index("--save") + 1] == ""
    assert args[args.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    pod = manifests.one("Deployment", "redis")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_external_redis(helm: Helm) -> None:
    manifests = helm.template(COMBOS["external-redis"])
    assert manifests.config()["REWARD_SERVICE_CACHE_URL"] == "redis://cache.data:6379/0"
    assert component_names(manifests) == {"server"}


def test_external_redis_url_from_a_secret(helm: Helm) -> None:
    manifests = helm.template(COMBOS["external-redis-secret"])
    assert "REWARD_SERVICE_CACHE_URL" not in manifests.config()
    assert service_env(manifests)["REWARD_SERVICE_CACHE_URL"] == {
        "secretKeyRef": {"name": "reward-cache-url", "key": "cache-url"}
    }


def test_no_redis_means_in_process_cache(helm: Helm) -> None:
    manifests = helm.template()
    assert "REWARD_SERVICE_CACHE_URL" not in service_env(manifests)
    assert component_names(manifests) == {"server"}


def test_two_redis_sources_fail(helm: Helm) -> None:
    values = {"redis": {"enabled": True, "external": {"url": "redis://cache:6379/0"}}}
    assert "only one of" in helm.template_error(values)


# -- shutdown -------------------------------------------------------------------------------------


def pod_spec(manifests: Manifests) -> dict[str, Any]:
    return manifests.one("Deployment")["spec"]["template"]["spec"]


@pytest.mark.parametrize("drain", [None, 0, 30, 45.5, 120])
def test_grace_period_exceeds_the_drain(helm: Helm, drain: float | None) -> None:
    manifests = helm.template({"settings": {"drain_timeout_s": drain}})
    env = service_env(manifests)
    drain_s = float(env.get("REWARD_SERVICE_DRAIN_TIMEOUT_S", Settings().drain_timeout_s))
    container = manifests.container()
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    grace = pod_spec(manifests)["terminationGracePeriodSeconds"]
    assert grace > pre_stop + math.ceil(drain_s)
    assert grace == pre_stop + math.ceil(drain_s) + 15


def test_explicit_grace_period(helm: Helm) -> None:
    manifests = helm.template({"shutdown": {"terminationGracePeriodSeconds": 90}})
    assert pod_spec(manifests)["terminationGracePeriodSeconds"] == 90


@pytest.mark.parametrize("grace", [10, 35])
def test_too_short_grace_period_fails(helm: Helm, grace: int) -> None:
    error = helm.template_error({"shutdown": {"terminationGracePeriodSeconds": grace}})
    assert "must be larger than" in error


def test_no_prestop_hook_when_disabled(helm: Helm) -> None:
    manifests = helm.template({"shutdown": {"preStopSleepSeconds": 0}})
    assert "lifecycle" not in manifests.container()
    assert pod_spec(manifests)["terminationGracePeriodSeconds"] == 30 + 15


# -- pod hardening and config rollout -------------------------------------------------------------


def test_pod_is_hardened(helm: Helm) -> None:
    manifests = helm.template()
    spec, container = pod_spec(manifests), manifests.container()
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    (tmp,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
    (volume,) = [v for v in spec["volumes"] if v["name"] == tmp["name"]]
    assert "emptyDir" in volume
    assert container["args"] == ["serve"]


def checksum(manifests: Manifests) -> str:
    annotations = manifests.one("Deployment")["spec"]["template"]["metadata"]["annotations"]
    return str(annotations["checksum/config"])


def test_pods_roll_when_config_changes(helm: Helm) -> None:
    base = checksum(helm.template())
    assert checksum(helm.template({"podLabels": {"team": "rl"}})) == base
    assert checksum(helm.template({"settings": {"cache_size": 5}})) != base
    assert checksum(helm.template(COMBOS["external-redis"])) != base


def test_auth_token_by_secret_reference(helm: Helm) -> None:
    manifests = helm.template({"auth": {"existingSecret": "reward-token", "secretKey": "bearer"}})
    assert service_env(manifests)["REWARD_SERVICE_AUTH_TOKEN"] == {
        "secretKeyRef": {"name": "reward-token", "key": "bearer"}
    }
    assert "REWARD_SERVICE_AUTH_TOKEN" not in manifests.config()
    assert "REWARD_SERVICE_AUTH_TOKEN" not in service_env(helm.template())


# -- autoscaling, disruption budget, monitoring ---------------------------------------------------


def test_hpa_scales_the_deployment(helm: Helm) -> None:
    manifests = helm.template(COMBOS["autoscaling"])
    hpa, deployment = manifests.one("HorizontalPodAutoscaler"), manifests.one("Deployment")
    assert "replicas" not in deployment["spec"]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["Resource"]["resource"]["name"] == "cpu"
    assert metrics["Resource"]["resource"]["target"]["averageUtilization"] == 70
    assert metrics["Pods"]["pods"]["metric"]["name"] == "reward_in_flight"
    plain = helm.template({"autoscaling": {"enabled": True}}).one("HorizontalPodAutoscaler")
    assert [m["type"] for m in plain["spec"]["metrics"]] == ["Resource"]


def test_hpa_needs_a_cpu_request(helm: Helm) -> None:
    values = {"autoscaling": {"enabled": True}, "resources": {"requests": {"cpu": None}}}
    assert "requests.cpu" in helm.template_error(values)


def test_pdb_selects_the_service_pods(helm: Helm) -> None:
    manifests = helm.template(COMBOS["pdb"])
    pdb, deployment = manifests.one("PodDisruptionBudget"), manifests.one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["maxUnavailable"] == 1
    assert "minAvailable" not in pdb["spec"]
    half = helm.template({"pdb": {"enabled": True, "minAvailable": "50%", "maxUnavailable": None}})
    assert half.one("PodDisruptionBudget")["spec"] == {
        "minAvailable": "50%",
        "selector": pdb["spec"]["selector"],
    }
    both = {"pdb": {"enabled": True, "minAvailable": 1, "maxUnavailable": 1}}
    assert "not both" in helm.template_error(both)


def test_service_monitor_scrapes_metrics(helm: Helm) -> None:
    manifests = helm.template(merge(COMBOS["service-monitor"], COMBOS["everything"]))
    monitor = manifests.one("ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kps"
    selector = monitor["spec"]["selector"]["matchLabels"]
    matching = [
        s["metadata"]["name"]
        for s in manifests.of_kind("Service")
        if selector.items() <= s["metadata"]["labels"].items()
    ]
    assert matching == [manifests.one("Service")["metadata"]["name"]]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    assert endpoint["port"] in {p["name"] for p in manifests.one("Service")["spec"]["ports"]}
    assert endpoint["port"] == "http"


# -- NOTES.txt ------------------------------------------------------------------------------------


def test_notes_show_how_to_call_the_service(helm: Helm) -> None:
    notes = helm.notes()
    assert "kubectl -n training port-forward svc/rl-reward-service 8000:8000 50051:50051" in notes
    assert "curl -s http://127.0.0.1:8000/v1/score" in notes
    assert "reward.v1.RewardService/Score" in notes
    assert "grpcurl -plaintext" in notes
    assert "Authorization" not in notes
    with_auth = helm.notes(COMBOS["everything"])
    assert "Authorization: Bearer $TOKEN" in with_auth
    assert "get secret reward-token" in with_auth
    assert "http://rl-reward-service-judge:8000/v1" in with_auth


def test_notes_example_request_scores(helm: Helm, server: Server) -> None:
    """The request NOTES.txt tells users to send is accepted and scored by a real server."""
    curl = helm.notes().split("curl -s http://127.0.0.1:8000/v1/score", 1)[1]
    assert "-H 'Content-Type: application/json'" in curl
    body = curl.split("-d '", 1)[1].split("'\n", 1)[0]
    headers = {"Content-Type": "application/json"}
    reply = httpx.post(f"{server.http_url}/v1/score", content=body, headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    assert (reply.json()["status"], reply.json()["verdict"]) == ("scored", "correct")
