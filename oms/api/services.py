"""Writers of the API app: tokens, and submitting orders idempotently.

`api_order_submit` is what `POST /api/v1/orders` calls. It replays an earlier submission when the
same request comes again (same `Idempotency-Key`, or same channel order with the same body),
refuses a different body under a known key or channel order with 409, and otherwise creates the
order through `oms.workflow.intake.intake_order`, recording the request hash in the same
transaction. Two identical requests racing are decided by unique constraints: the loser's
transaction rolls back and it replays the winner's order.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import actor_user
from core.errors import DuplicateOrder, IdempotencyConflict, ValidationFailed
from core.numbering import next_order_number_alone
from core.transactions import without_nested_savepoints
from oms.api.access import ensure_token_channel
from oms.api.models import TOKEN_PREFIX_LENGTH, ApiToken, OrderSubmission, hash_token
from oms.api.scopes import DEFAULT_SCOPES, Scope
from oms.workflow.intake import intake_order
from oms.workflow.services import PaymentInput
from orders.models import Channel, Order, OrderSource
from orders.services import OrderInput

TOKEN_MARK = "oms_"
_PREFIX_ALPHABET = string.ascii_letters + string.digits
LAST_USED_RESOLUTION = timedelta(minutes=1)


# -- tokens ---------------------------------------------------------------------------------------


def _new_raw_token() -> str:
    """`oms_` + 8 alphanumerics (the lookup prefix) + `_` + 43 URL-safe characters (256 bits)."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(TOKEN_PREFIX_LENGTH - len(TOKEN_MARK)))
    return f"{TOKEN_MARK}{prefix}_{secrets.token_urlsafe(32)}"


def _clean_scopes(scopes) -> list[str]:
    if scopes is None:
        return list(DEFAULT_SCOPES)
    wanted = [str(s).strip() for s in scopes if str(s).strip()]
    unknown = [s for s in wanted if s not in Scope.values]
    if unknown:
        raise ValidationFailed(errors={"scopes": [
            _("Unknown scope(s): %(unknown)s. Known scopes: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(Scope.values)}
        ]})
    if not wanted:
        raise ValidationFailed(errors={"scopes": [_("A token needs at least one scope.")]})
    return [s for s in Scope.values if s in wanted]  # canonical order, no duplicates


def _resolve_channel(channel) -> Channel | None:
    if channel is None or channel == "" or isinstance(channel, Channel):
        return channel or None
    found = Channel.objects.filter(code=str(channel).strip()).first()
    if found is None:
        known = ", ".join(Channel.objects.order_by("code").values_list("code", flat=True))
        raise ValidationFailed(errors={"channel": [
            _("Unknown channel “%(code)s”. Known channels: %(known)s.") % {"code": channel, "known": known}
        ]})
    return found


@transaction.atomic
def api_token_create(*, name: str, actor, scopes=None, channel=None) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw value, which is never stored and cannot be shown again.

    `scopes` defaults to orders:read, orders:write, stock:read; `channel` is a Channel or its code.
    """
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("This field is required.")]
    elif ApiToken.objects.filter(name=name).exists():
        errors["name"] = [_("A token named “%(name)s” already exists.") % {"name": name}]
    try:
        clean_scopes = _clean_scopes(scopes)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        bound = _resolve_channel(channel)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    while True:
        raw = _new_raw_token()
        if not ApiToken.objects.filter(prefix=raw[:TOKEN_PREFIX_LENGTH]).exists():
            break
    token = ApiToken.objects.create(
        name=name, prefix=raw[:TOKEN_PREFIX_LENGTH], key_hash=hash_token(raw), scopes=clean_scopes,
        channel=bound, created_by=actor_user(actor),
    )
    return token, raw


@transaction.atomic
def api_token_update(*, token: ApiToken, actor, scopes, channel) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    token.scopes = _clean_scopes(scopes)
    token.channel = _resolve_channel(channel)
    token.save(update_fields=["scopes", "channel"])
    return token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoked tokens answer 401 from the next request on; revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.active:
        token.active = False
        token.revoked_at = timezone.now()
        token.revoked_by = actor_user(actor)
        token.save(update_fields=["active", "revoked_at", "revoked_by"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record use at most once a minute, with one UPDATE and no row lock: cheap on every request."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# -- orders ----------------------------------------------------------------------------------------


def request_hash(payload) -> str:
    """SHA-256 of the body's canonical JSON: key order and whitespace do not make a new request."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Submitted:
    order: Order
    replayed: bool


def _replay(*, token: ApiToken, idempotency_key: str, request_hash: str, channel_code: str,
            external_id: str) -> Order | None:
    """The earlier order this request repeats, None if it is new; 409 for a different body."""
    if idempotency_key:
        earlier = (OrderSubmission.objects.select_related("order")
                   .filter(token=token, idempotency_key=idempotency_key).first())
        if earlier is not None:
            if earlier.request_hash != request_hash:
                raise IdempotencyConflict()
            return earlier.order
    order = (Order.objects.select_related("api_submission")
             .filter(channel__code=channel_code, external_id=external_id).first())
    if order is None:
        return None
    submission = getattr(order, "api_submission", None)
    if submission is None or submission.request_hash != request_hash:
        raise DuplicateOrder(
            _("Order %(external_id)s of channel %(channel)s already exists as %(number)s with different content.")
            % {"external_id": external_id, "channel": channel_code, "number": order.number},
            data={"number": order.number},
        )
    return order


def api_order_submit(*, token: ApiToken, data: OrderInput, payment: PaymentInput | None, request_hash: str,
                     idempotency_key: str = "", actor) -> Submitted:
    """Create an order from a channel request, or replay the one this request already created.

    The new order is tried first: a repeat fails a unique constraint (channel order, or token and
    key) and its transaction rolls back entirely, then the earlier order is looked up and replayed
    (or the request refused with 409). The common case, a new order, pays no look-up.
    """
    ensure_token_channel(token, data.channel)
    lookup = dict(token=token, idempotency_key=idempotency_key, request_hash=request_hash,
                  channel_code=data.channel, external_id=data.external_id.strip())
    for attempt in (1, 2):
        # Taken in a transaction of its own, so the day's order counter is not locked for the whole
        # intake (`next_order_number_alone`); a repeat or a refusal leaves it unused.
        number = next_order_number_alone()
        try:
            with transaction.atomic(durable=True), without_nested_savepoints():
                order = intake_order(data=data, payment=payment, actor=actor, source=OrderSource.API,
                                     number=number)
                OrderSubmission.objects.create(order=order, token=token, idempotency_key=idempotency_key,
                                               request_hash=request_hash)
        except ValidationFailed:
            # An earlier identical request is replayed even if it would not validate today (a SKU
            # since withdrawn, a channel switched off).
            earlier = _replay(**lookup)
            if earlier is None:
                raise
            return Submitted(order=earlier, replayed=True)
        except (DuplicateOrder, IntegrityError):
            # The same channel order or key exists (maybe committed by a concurrent identical
            # request a moment ago); ours rolled back entirely.
            earlier = _replay(**lookup)
            if earlier is not None:
                return Submitted(order=earlier, replayed=True)
            if attempt == 2:
                raise
            # Nothing to replay: another constraint raced (a day's first order number); try once more.
        else:
            return Submitted(order=order, replayed=False)
    raise AssertionError("unreachable")
