"""Cache key derivation — the one place that decides what a cached verdict depends on.

Two levels, both content-addressed:

``d:`` (answer level)
    a symbolic decision: the version tag, the route, each part's canonical accepted golds,
    extracted candidates and list reading, and the verifier tag (package versions and
    comparison settings). Different responses with the same final answer share it.
``r:`` (request level)
    a whole result: the version tag, the config tag (verifier tag and the hash of every setting
    that can change a verdict) and every request field that reaches the pipeline — the full
    response, gold, problem, data source, template, think flag, route hint. An identical
    request is answered without running the filters again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from reward_service.types import GoldParts, ScoreRequest

CACHE_VERSION = "v2"
"""Bump when the meaning of a cached decision or record changes — including a change of the
extraction or normalisation rules, which decide what a request-level record says."""


def _digest(payload: object) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def symbolic_key(parts: Sequence[Sequence[object]], verifier_tag: str) -> str:
    """Key of a symbolic decision."""
    return "d:" + _digest([CACHE_VERSION, "symbolic", verifier_tag, parts])


def request_key(request: ScoreRequest, config_tag: str) -> str:
    """Key of a whole result for ``request`` (its ``id`` is not part of it). The response is
    hashed as raw UTF-8 after the other fields, so a long response costs one pass."""
    gold = request.gold
    fields = [
        gold.model_dump(mode="json") if isinstance(gold, GoldParts) else gold,
        request.problem,
        request.data_source,
        request.think_in_prompt,
        request.template.value,
        request.route.value,
    ]
    header = json.dumps(
        [CACHE_VERSION, "request", config_tag, fields], ensure_ascii=False, separators=(",", ":")
    )
    digest = hashlib.sha256(header.encode("utf-8", errors="surrogatepass"))
    digest.update(b"\0")
    digest.update(request.response.encode("utf-8", errors="surrogatepass"))
    return "r:" + digest.hexdigest()


def judge_key(judge_tag: str, problem: str, reference: str, parts: int, response: str) -> str:
    """Key of a judge decision: the judge (spec, served model, template version, sampling)
    and exactly the text it is shown."""
    return "j:" + _digest([CACHE_VERSION, "judge", judge_tag, problem, reference, parts, response])
