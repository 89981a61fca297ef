"""What a token may see: channel binding and PII, shared by every API view (orders, documents, …).

A token bound to a channel may only create and read that channel's orders. Using another channel
(in a request body, a `channel` filter, or an order of another channel) is answered with 403 —
the contract's "valid token without the … channel → 403" — not 404.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import NotFound, PermissionDenied
from oms.api.models import ApiToken
from oms.api.representation import order_for_api
from oms.api.scopes import Scope
from orders.models import Order


def ensure_token_channel(token: ApiToken, channel_code: str | None) -> None:
    if token.channel_id and channel_code != token.channel.code:
        raise PermissionDenied(
            _("This token is bound to channel “%(bound)s” and cannot use channel “%(code)s”.")
            % {"bound": token.channel.code, "code": channel_code or ""}
        )


def order_for_token(token: ApiToken, number: str) -> Order:
    """The order with this number as the API renders it; 404 if unknown, 403 if of another channel."""
    order = order_for_api(number=number)
    if order is None:
        raise NotFound(_("Order %(number)s not found.") % {"number": number})
    ensure_token_channel(token, order.channel.code)
    return order


def token_sees_pii(token: ApiToken) -> bool:
    return token.has_scope(Scope.PII_READ)
