"""Reads of the API app."""

from __future__ import annotations

import hmac

from oms.api.models import TOKEN_PREFIX_LENGTH, ApiToken, hash_token


def api_token_for_raw(raw: str) -> ApiToken | None:
    """The token matching a raw bearer value (active or revoked), or None. One indexed query."""
    if len(raw) <= TOKEN_PREFIX_LENGTH:
        return None
    token = ApiToken.objects.select_related("channel").filter(prefix=raw[:TOKEN_PREFIX_LENGTH]).first()
    if token is None or not hmac.compare_digest(token.key_hash, hash_token(raw)):
        return None
    return token
