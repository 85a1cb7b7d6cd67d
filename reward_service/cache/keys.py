"""Cache key derivation — the one place that decides what a cached verdict depends on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

CACHE_VERSION = "v1"
"""Bump when the meaning of a cached decision changes."""


def symbolic_key(parts: Sequence[Sequence[object]], verifier_tag: str) -> str:
    """Key of a symbolic decision: the version tag, the route, each part's work (canonical
    accepted golds, extracted candidates, list reading) and the verifier tag (versions and
    comparison settings)."""
    payload = json.dumps(
        [CACHE_VERSION, "symbolic", verifier_tag, parts],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8", errors="surrogatepass")).hexdigest()
