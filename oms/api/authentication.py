"""`Authorization: Bearer <token>` against `ApiToken` (hashed, scoped, optionally channel-bound).

A request without credentials, or with an unknown or revoked token, gets 401 with the contract's
error body. On success `request.user` is the token's `SystemActor` (`api:<name>`, the actor that
services write on the timeline) and `request.auth` the `ApiToken` (scopes, channel).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from core.actors import api_actor
from oms.api.selectors import api_token_for_raw
from oms.api.services import api_token_touch


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # no credentials of ours: 401 "not_authenticated" if the view needs a token
        if len(parts) != 2:
            raise AuthenticationFailed(_("Malformed Authorization header; expected “Bearer <token>”."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Invalid API token."))
        token = api_token_for_raw(raw)
        if token is None:
            raise AuthenticationFailed(_("Invalid API token."))
        if not token.active:
            raise AuthenticationFailed(_("This API token has been revoked."))
        api_token_touch(token=token)
        return api_actor(token.name), token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
