#!/usr/bin/env python3
"""Generate the chart's values.schema.json and files/judge-specs.json.

    .venv/bin/python helm/gen_values_schema.py           # rewrite both files
    .venv/bin/python helm/gen_values_schema.py --check   # exit 1 if either is stale

Sources, so the schema cannot drift from what it describes:

- ``values.yaml``: the structure, the type of each default, and the comment above each key (its
  description). A key without a comment is an error: every value is documented.
- ``reward_service.settings.Settings``: the ``settings`` block (names, types, bounds, enums),
  minus the settings the chart owns (host, ports, cache_url, auth_token, judge url / model /
  api_key / specs_dir), which are configured elsewhere in the values.
- the built-in judge specs (``reward_service/judge_models/``): the ``judge.spec`` enum and
  the spec → served model table the vLLM Deployment reads (``files/judge-specs.json``).
- Kubernetes' own strict schemas (from kubernetes-validate) for objects passed through to pods
  (resources, affinity, tolerations, security contexts, HPA behavior).

Every object is closed (``additionalProperties: false``) except true maps: labels, annotations,
nodeSelector (string → string), resource quantities, and ``settings.routing_rules``
(glob → symbolic | judge).
"""

from __future__ import annotations

import argparse
import copy
import importlib.resources
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "reward-service"
VALUES = CHART / "values.yaml"
SCHEMA = CHART / "values.schema.json"
SPECS = CHART / "files" / "judge-specs.json"
# The Kubernetes release whose strict schemas are embedded (helm v4's client version).
K8S_SCHEMA_VERSION = "1.35.0"

sys.path.insert(0, str(ROOT))

from reward_service.settings import Settings  # noqa: E402
from reward_service.verifiers.judge.spec import builtin_specs  # noqa: E402

Schema = dict[str, Any]
Path_ = tuple[str, ...]

# Settings the chart sets itself from other values; not accepted under `settings`.
CHART_OWNED_SETTINGS: dict[Path_, str] = {
    ("host",): "always 0.0.0.0 in a pod",
    ("http_port",): "containerPorts.http",
    ("grpc_port",): "containerPorts.grpc",
    ("cache_url",): "redis",
    ("auth_token",): "auth.existingSecret",
    ("auth_exempt_paths",): "auth.exemptPaths",
    ("judge", "url"): "judge.vllm / judge.external.url",
    ("judge", "model"): "judge.spec",
    ("judge", "api_key"): "judge.apiKeySecret",
    ("judge", "specs_dir"): "judge.specsDir",
}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def k8s(name: str) -> Schema:
    return {"$ref": f"#/definitions/{name}"}


# -- settings from the Settings class -------------------------------------------------------------

DROPPED_KEYWORDS = {"title", "default", "format", "writeOnly"}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[1]], defs)
        out = {k: _inline(v, defs) for k, v in node.items() if k not in DROPPED_KEYWORDS}
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def settings_schema() -> Schema:
    raw = Settings.model_json_schema()
    defs = raw.get("$defs", {})
    properties: dict[str, Schema] = {}
    for name, field in raw["properties"].items():
        resolved = _inline(field, defs)
        if "properties" in resolved:
            resolved["properties"] = {
                sub: nullable(s)
                for sub, s in resolved["properties"].items()
                if (name, sub) not in CHART_OWNED_SETTINGS
            }
            resolved.pop("required", None)
            properties[name] = resolved
        elif (name,) not in CHART_OWNED_SETTINGS:
            properties[name] = nullable(resolved)
    owned = "; ".join(f"{'.'.join(k)}: {v}" for k, v in CHART_OWNED_SETTINGS.items())
    return {
        "$comment": f"Settings the chart sets from other values: {owned}.",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }


def add_settings_docs(schema: Schema, docs: dict[Path_, str], path: Path_) -> None:
    for key, sub in schema.get("properties", {}).items():
        sub_path = (*path, key)
        if sub_path in docs:
            sub["description"] = docs[sub_path]
        add_settings_docs(sub, docs, sub_path)


STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}
PORT: Schema = {"type": "integer", "minimum": 1, "maximum": 65535}
OPTIONAL_NAME: Schema = nullable({"type": "string", "minLength": 1})
DURATION: Schema = {"type": "string", "pattern": r"^([0-9]+(ms|s|m|h))+$"}
INT_OR_PERCENT: Schema = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^[0-9]+%$"},
        {"type": "null"},
    ]
}
QUANTITY = k8s("io.k8s.apimachinery.pkg.api.resource.Quantity")
PEERS: Schema = {"type": "array", "items": k8s("io.k8s.api.networking.v1.NetworkPolicyPeer")}

# By the key's name, wherever it appears.
KEY_SCHEMAS: dict[str, Schema] = {
    "resources": k8s("io.k8s.api.core.v1.ResourceRequirements"),
    "affinity": k8s("io.k8s.api.core.v1.Affinity"),
    "tolerations": {"type": "array", "items": k8s("io.k8s.api.core.v1.Toleration")},
    "topologySpreadConstraints": {
        "type": "array",
        "items": k8s("io.k8s.api.core.v1.TopologySpreadConstraint"),
    },
    "podSecurityContext": k8s("io.k8s.api.core.v1.PodSecurityContext"),
    "securityContext": k8s("io.k8s.api.core.v1.SecurityContext"),
    "imagePullSecrets": {
        "type": "array",
        "items": k8s("io.k8s.api.core.v1.LocalObjectReference"),
    },
    "behavior": k8s("io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerBehavior"),
    "nodeSelector": STRING_MAP,
    "podAnnotations": STRING_MAP,
    "podLabels": STRING_MAP,
    "annotations": STRING_MAP,
    "labels": STRING_MAP,
    "pullPolicy": {"type": "string", "enum": ["Always", "IfNotPresent", "Never"]},
    "port": PORT,
    "httpPort": PORT,
    "grpcPort": PORT,
    "initialDelaySeconds": {"type": "integer", "minimum": 0},
    "periodSeconds": {"type": "integer", "minimum": 1},
    "timeoutSeconds": {"type": "integer", "minimum": 1},
    "failureThreshold": {"type": "integer", "minimum": 1},
    "successThreshold": {"type": "integer", "minimum": 1},
    "tag": {"type": "string"},
    "replicas": {"type": "integer", "minimum": 0},
}


def _judge_spec_enum() -> Schema:
    return {"type": "string", "enum": sorted(builtin_specs())}


# By the full path; wins over KEY_SCHEMAS.
PATH_SCHEMAS: dict[Path_, Callable[[], Schema]] = {
    ("settings",): settings_schema,
    ("judge", "spec"): _judge_spec_enum,
    ("containerPorts", "http"): lambda: PORT,
    ("containerPorts", "grpc"): lambda: PORT,
    ("service", "type"): lambda: {
        "type": "string",
        "enum": ["ClusterIP", "NodePort", "LoadBalancer"],
    },
    ("priorityClassName",): lambda: nullable({"type": "string", "minLength": 1}),
    ("shutdown", "preStopSleepSeconds"): lambda: {"type": "integer", "minimum": 0},
    ("shutdown", "marginSeconds"): lambda: {"type": "integer", "minimum": 0},
    ("shutdown", "terminationGracePeriodSeconds"): lambda: nullable(
        {"type": "integer", "minimum": 1}
    ),
    ("tmpVolume", "medium"): lambda: {"type": "string", "enum": ["", "Memory"]},
    ("tmpVolume", "sizeLimit"): lambda: QUANTITY,
    ("autoscaling", "minReplicas"): lambda: {"type": "integer", "minimum": 1},
    ("autoscaling", "maxReplicas"): lambda: {"type": "integer", "minimum": 1},
    ("autoscaling", "targetCPUUtilizationPercentage"): lambda: {"type": "integer", "minimum": 1},
    ("autoscaling", "inFlight", "metricName"): lambda: {"type": "string", "minLength": 1},
    ("autoscaling", "inFlight", "averageValue"): lambda: QUANTITY,
    ("pdb", "minAvailable"): lambda: INT_OR_PERCENT,
    ("pdb", "maxUnavailable"): lambda: INT_OR_PERCENT,
    ("serviceMonitor", "interval"): lambda: DURATION,
    ("serviceMonitor", "scrapeTimeout"): lambda: DURATION,
    ("auth", "existingSecret"): lambda: OPTIONAL_NAME,
    ("auth", "secretKey"): lambda: {"type": "string", "minLength": 1},
    ("auth", "exemptPaths"): lambda: {
        "type": "array",
        "uniqueItems": True,
        "items": {"type": "string", "pattern": r"^/\S*$"},
    },
    ("redis", "auth", "existingSecret"): lambda: OPTIONAL_NAME,
    ("redis", "auth", "existingSecretKey"): lambda: {"type": "string", "minLength": 1},
    ("networkPolicy", "server", "allowedFrom"): lambda: PEERS,
    ("networkPolicy", "server", "metricsFrom"): lambda: PEERS,
    ("redis", "maxMemory"): lambda: {"type": "string", "pattern": r"^[0-9]+([kKmMgG][bB])?$"},
    ("redis", "maxMemoryPolicy"): lambda: {
        "type": "string",
        "enum": [
            "noeviction",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
        ],
    },
    ("redis", "external", "url"): lambda: nullable(
        {"type": "string", "pattern": r"^(redis|rediss|unix)://\S+$"}
    ),
    ("redis", "external", "existingSecret"): lambda: OPTIONAL_NAME,
    ("judge", "specsDir"): lambda: {"type": "string", "pattern": "^(/.*)?$"},
    ("judge", "apiKeySecret", "name"): lambda: OPTIONAL_NAME,
    ("judge", "external", "url"): lambda: nullable(
        {"type": "string", "pattern": r"^https?://\S+/v1$"}
    ),
    ("judge", "vllm", "model"): lambda: nullable({"type": "string", "minLength": 1}),
    ("judge", "vllm", "shmSize"): lambda: QUANTITY,
    ("judge", "vllm", "modelCache", "type"): lambda: {
        "type": "string",
        "enum": ["emptyDir", "persistentVolumeClaim"],
    },
    ("judge", "vllm", "modelCache", "mountPath"): lambda: {"type": "string", "pattern": "^/"},
    ("judge", "vllm", "modelCache", "size"): lambda: QUANTITY,
    ("judge", "vllm", "modelCache", "storageClassName"): lambda: nullable({"type": "string"}),
    ("judge", "vllm", "modelCache", "accessMode"): lambda: {
        "type": "string",
        "enum": ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"],
    },
    ("judge", "vllm", "modelCache", "existingClaim"): lambda: OPTIONAL_NAME,
    ("judge", "vllm", "hfTokenSecret", "name"): lambda: OPTIONAL_NAME,
}


# -- values.yaml comments -------------------------------------------------------------------------

KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[^\s#'\"-][^:#]*|\"[^\"]+\"):(\s|$)")


def value_docs(text: str) -> tuple[dict[Path_, str], list[str]]:
    """The comment block right above each key of a block-style YAML file, by key path, and the
    paths of keys that have none. Section rulers ("# -- Name ---") are not descriptions."""
    docs: dict[Path_, str] = {}
    missing: list[str] = []
    stack: list[tuple[int, str]] = []
    comment: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if not stripped.startswith("# --"):
                comment.append(stripped.lstrip("#").strip())
            continue
        match = KEY_LINE.match(line)
        if match is None:
            comment = []
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = match["key"].strip().strip('"')
        stack.append((indent, key))
        path = tuple(k for _, k in stack)
        if comment:
            docs[path] = " ".join(comment)
        else:
            missing.append(".".join(path))
        comment = []
    return docs, missing


# -- inference from values.yaml -------------------------------------------------------------------


def infer(path: Path_, value: Any, docs: dict[Path_, str]) -> Schema:
    if path in PATH_SCHEMAS:
        schema = copy.deepcopy(PATH_SCHEMAS[path]())
    elif path and path[-1] in KEY_SCHEMAS:
        schema = copy.deepcopy(KEY_SCHEMAS[path[-1]])
    elif isinstance(value, dict):
        schema = {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: infer((*path, k), v, docs) for k, v in value.items()},
        }
    elif isinstance(value, bool):
        schema = {"type": "boolean"}
    elif isinstance(value, int):
        schema = {"type": "integer"}
    elif isinstance(value, float):
        schema = {"type": "number"}
    elif isinstance(value, str):
        schema = {"type": "string"}
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        schema = {"type": "array", "items": {"type": "string"}}
    else:
        raise SystemExit(
            f"values.yaml: cannot infer a type for {'.'.join(path)} = {value!r}; "
            "add it to PATH_SCHEMAS or KEY_SCHEMAS in helm/gen_values_schema.py"
        )
    if path in docs:
        schema = {"description": docs[path], **schema}
    return schema


# -- Kubernetes definitions -----------------------------------------------------------------------


def k8s_definitions(schema: Schema) -> dict[str, Schema]:
    """The strict Kubernetes definitions the schema refers to, transitively, without
    descriptions."""
    folder = importlib.resources.files("kubernetes_validate").joinpath(
        "kubernetes-json-schema", f"v{K8S_SCHEMA_VERSION}-local-strict"
    )
    all_defs = json.loads(folder.joinpath("_definitions.json").read_text())["$defs"]

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "$ref":
                    out[k] = "#/definitions/" + v.rsplit("/", 1)[1]
                elif (
                    (k == "description" and isinstance(v, str))
                    or k.startswith("x-")
                    or (k == "format" and isinstance(v, str))
                ):
                    continue
                else:
                    out[k] = clean(v)
            return out
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    needed: dict[str, Schema] = {}
    todo = refs(schema)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed[name] = clean(all_defs[name])
        todo |= refs(needed[name])
    return dict(sorted(needed.items()))


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
        for v in node.values():
            found |= refs(v)
        return found
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node)) if node else set()
    return set()


# -- outputs --------------------------------------------------------------------------------------


def build() -> dict[Path, str]:
    text = VALUES.read_text()
    docs, missing = value_docs(text)
    if missing:
        raise SystemExit("values.yaml: keys without a comment above them: " + ", ".join(missing))
    values = yaml.safe_load(text)
    root = infer((), values, docs)
    add_settings_docs(root["properties"]["settings"], docs, ("settings",))
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "reward-service chart values",
        "description": "Generated by helm/gen_values_schema.py; do not edit by hand.",
        **root,
        "definitions": k8s_definitions(root),
    }
    specs = {
        name: {"served_model": spec.served_model, "dialect": str(spec.dialect)}
        for name, spec in sorted(builtin_specs().items())
    }
    return {
        SCHEMA: json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
        SPECS: json.dumps(specs, indent=2) + "\n",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is stale")
    args = parser.parse_args()
    stale = []
    for path, content in build().items():
        if path.exists() and path.read_text() == content:
            continue
        if args.check:
            stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(
            "stale: " + ", ".join(stale) + "; run .venv/bin/python helm/gen_values_schema.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
