"""Cache key derivation — the one place that decides what a cached verdict depends on.

Two levels, both content-addressed:

``d:`` and ``j:`` (answer level)
    a symbolic decision: the version tag, each part's canonical accepted golds, extracted
    candidates and list reading, and the verifier tag (package versions and comparison
    settings); a judge decision: the judge tag and exactly the text the judge is shown.
    Different responses with the same final answer share it.
``r:`` (request level)
    a whole result: the version tag, the config tag (verifier tag and the hash of every setting
    that can change a verdict) and every request field that reaches the pipeline — the full
    response, gold, problem, data source, template, think flag, route hint. An identical
    request is answered without running the filters again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Sequence

from reward_service.types import GoldParts, ScoreRequest, gold_identity

CACHE_VERSION = "v2"
"""Bump when the meaning of a cached decision or record changes — including a change of the
extraction or normalisation rules, which decide what a request-level record says."""


def _digest(payload: object) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def symbolic_key(parts: Sequence[Sequence[object]], verifier_tag: str) -> str:
    """Key of a symbolic decision."""
    return "d:" + _digest([CACHE_VERSION, "symbolic", verifier_tag, parts])


class RequestKeys:
    """Request-level keys for many requests with one config tag. The fields other than the
    response are hashed once per distinct combination (a GRPO batch has one per problem); the
    response is hashed as raw UTF-8 after them, so a long response costs one pass."""

    def __init__(self, config_tag: str) -> None:
        self._config_tag = config_tag
        self._headers: dict[Hashable, hashlib._Hash] = {}

    def key(self, request: ScoreRequest, response_utf8: bytes) -> str:
        """Key of a whole result for ``request`` (its ``id`` is not part of it), given its
        response encoded as UTF-8 (``surrogatepass``)."""
        fields = (
            gold_identity(request.gold),
            request.problem,
            request.data_source,
            request.think_in_prompt,
            request.template,
            request.route,
            request.truncated,
        )
        header = self._headers.get(fields)
        if header is None:
            header = self._headers[fields] = self._header(request)
        digest = header.copy()
        digest.update(response_utf8)
        return "r:" + digest.hexdigest()

    def _header(self, request: ScoreRequest) -> hashlib._Hash:
        gold = request.gold
        fields = [
            gold.model_dump(mode="json") if isinstance(gold, GoldParts) else gold,
            request.problem,
            request.data_source,
            request.think_in_prompt,
            request.template.value,
            request.route.value,
        ]
        if request.truncated:  # appended only when set: earlier keys stay valid
            fields.append(True)
        header = json.dumps(
            [CACHE_VERSION, "request", self._config_tag, fields],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        digest = hashlib.sha256(header.encode("utf-8", errors="surrogatepass"))
        digest.update(b"\0")
        return digest


def judge_key(judge_tag: str, problem: str, reference: str, parts: int, response: str) -> str:
    """Key of a judge decision: the judge (spec, served model, template version, sampling)
    and exactly the text it is shown."""
    return "j:" + _digest([CACHE_VERSION, "judge", judge_tag, problem, reference, parts, response])
