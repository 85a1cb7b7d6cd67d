"""One short string for a result's provenance, so rows scored by the same versions and settings
can be recognised (``rescore --only-changed``) without comparing nested records."""

from __future__ import annotations

import hashlib
from typing import Any

from reward_service.types import Provenance


def provenance_hash(provenance: Provenance | dict[str, Any] | None) -> str | None:
    """A 16-hex-digit hash of the service version, verifier versions, judge and config hash;
    None for a result without provenance (a request that was never scored)."""
    if provenance is None:
        return None
    if isinstance(provenance, dict):
        provenance = Provenance.model_validate(provenance)
    return hashlib.sha256(provenance.model_dump_json().encode()).hexdigest()[:16]
