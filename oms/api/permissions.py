"""Scope checks. Every API view declares `required_scopes`; a view that forgets is a bug, not open.

    required_scopes = (Scope.STOCK_READ,)                                       # every method
    required_scopes = {"GET": (Scope.ORDERS_READ,), "POST": (Scope.ORDERS_WRITE,)}  # per method

HEAD and OPTIONS need what GET needs. No token → 401; a token without a required scope → 403.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from oms.api.models import ApiToken


def required_scopes_for(view, method: str) -> tuple[str, ...]:
    declared = getattr(view, "required_scopes", None)
    if declared is None:
        raise ImproperlyConfigured(f"{type(view).__name__} must declare required_scopes")
    if isinstance(declared, dict):
        lookup = "GET" if method in ("HEAD", "OPTIONS") else method
        if lookup not in declared:
            raise ImproperlyConfigured(f"{type(view).__name__}.required_scopes has no entry for {lookup}")
        return tuple(declared[lookup])
    return tuple(declared)


class HasTokenScopes(BasePermission):
    code = "missing_scope"

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return False  # DRF turns this into 401 because no authenticator succeeded
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405 for a method it does not have
        missing = [s for s in required_scopes_for(view, request.method) if not token.has_scope(s)]
        if missing:
            self.message = _("This token lacks the scope(s) %(scopes)s.") % {"scopes": ", ".join(missing)}
            return False
        return True
