"""Bearer-token checks shared by both front doors."""

from __future__ import annotations

import hmac


def bearer_matches(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` value carries ``token`` as a bearer credential. The scheme
    is case-insensitive (RFC 9110 §11.1: ``bearer`` is ``Bearer``); the token is compared in
    constant time."""
    if not header:
        return False
    scheme, _, credential = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credential.strip().encode(), token.encode())
