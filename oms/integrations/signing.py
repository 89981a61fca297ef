"""HMAC signatures of inbound webhooks (contract: api-v1.md, "Inbound webhooks").

Header `X-OMS-Signature: t=<unix seconds>,v1=<hex>` with
`v1 = HMAC-SHA256(secret, "<t>.<raw request body>")`. Several `v1=` values may be sent while a
secret is rotated; one match is enough. `t` more than the tolerance (300 s) away from now is
refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-OMS-Signature"


class SignatureError(Exception):
    """The signature is missing, malformed, wrong or stale."""


def compute(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value a sender sends (also used by tests and the demo sender)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={compute(secret, timestamp, body)}"


def verify(*, header: str | None, body: bytes, secrets: list[str], tolerance: int, now: float | None = None) -> int:
    """Return the signed timestamp, or raise SignatureError."""
    if not header:
        raise SignatureError("missing signature header")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed signature header")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("malformed timestamp")
        elif key == "v1":
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise SignatureError("malformed signature header")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance window")
    for secret in secrets:
        if not secret:
            continue
        expected = compute(secret, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return timestamp
    raise SignatureError("signature does not match")
