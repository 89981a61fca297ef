"""The webhook inbox: verify, store, then process after commit; retry with back-off on failure.

A webhook kind (payments, wms, carriers) registers a `WebhookHandler`:

- `serializer`: a DRF serializer validating the body (400 naming each bad field);
- `resolve(data)`: raises `core.errors.NotFound` when the order or tracking number is unknown
  (404 — such an event is not accepted, so it is not stored);
- `handle(event, data)`: does the work through workflow/stage services. It must be idempotent:
  it may run again after a crash between its commit and the event's status update.

`receive()` is what the view calls; `process_event()` is what runs after commit and in the retry
job. Logistics adds WMS and carrier webhooks with `register_handler` and one URL line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.actors import webhook_actor
from core.errors import DomainError, NotFound, ValidationFailed
from oms.env import weak_secret
from oms.integrations import signing
from oms.integrations.models import InboundAttempt, InboundEvent, InboundStatus, WebhookSender

logger = logging.getLogger("oms.webhooks")

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class WebhookHandler:
    kind: str
    serializer: type[serializers.Serializer]
    resolve: Any  # (data: dict) -> None, raises NotFound
    handle: Any  # (event: InboundEvent, data: dict, actor) -> None
    # (data: dict) -> str: the provider's transaction behind a money event ("" for none). Unique per
    # kind, so one transaction reported under two event ids or through two paths counts once.
    money_key: Any = None
    # Payments and refunds: accepted only from senders registered with their own secret, also in
    # development unless OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS is on (issue 17).
    moves_money: bool = False


_HANDLERS: dict[str, WebhookHandler] = {}


def register_handler(handler: WebhookHandler) -> WebhookHandler:
    _HANDLERS[handler.kind] = handler
    return handler


def handler_for(kind: str) -> WebhookHandler:
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise NotFound(_("Unknown webhook kind."))


class Unauthorized(Exception):
    """Signature missing, wrong or stale, or the sender is disabled (→ 401)."""


SENDER_MAX_LENGTH = 32


def registered_senders_only() -> bool:
    """Production (`DJANGO_DEBUG=0`) accepts only senders registered in the admin, each with its own
    secret; the shared `OMS_WEBHOOK_SECRET` is a development default (contract api-v1.md)."""
    return bool(getattr(settings, "OMS_WEBHOOK_REGISTERED_SENDERS_ONLY", not settings.DEBUG))


def unregistered_money_senders() -> bool:
    """Development only: accept payment/refund events from senders without their own secret."""
    return bool(getattr(settings, "OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS", False))


def development_secret(kind: str, sender: str) -> str:
    """The secret an unregistered sender signs with in development:
    hex HMAC-SHA256(OMS_WEBHOOK_SECRET, "<kind>/<sender>"). Each sender gets its own, so the secret
    handed to a WMS test partner verifies for that warehouse alone, never for a payment path; the
    shared secret itself verifies nothing inbound. ("/" cannot occur in a kind, so no two (kind,
    sender) pairs give the same message.)"""
    shared = settings.OMS_WEBHOOK_SECRET
    if not shared:
        return ""
    return hmac.new(shared.encode(), f"{kind}/{sender}".encode(), hashlib.sha256).hexdigest()


def secrets_for(kind: str, sender: str) -> list[str]:
    """The secret(s) a delivery for this sender must be signed with.

    A registered sender's secret belongs to that sender alone (no two senders share one, see
    `WebhookSender`), so a signature made for one sender does not verify for another: the signature
    binds the sender. Only in development may a sender without its own secret sign, with the secret
    derived for it (`development_secret`), and never a money event unless that is switched on.
    """
    row = WebhookSender.objects.filter(kind=kind, code=sender).first()
    if row is not None and not row.active:
        raise Unauthorized("sender disabled")
    if row is not None and row.secret:
        if registered_senders_only() and weak_secret(row.secret):
            raise Unauthorized("the sender's secret is too weak for production")
        return [row.secret]  # a sender's own secret replaces the development default
    if registered_senders_only():
        raise Unauthorized("unregistered sender or sender without its own secret")
    handler = _HANDLERS.get(kind)
    if (handler is None or handler.moves_money) and not unregistered_money_senders():
        raise Unauthorized("money events only from senders registered with their own secret")
    secret = development_secret(kind, sender)
    return [secret] if secret else []


def validate(handler: WebhookHandler, payload) -> dict:
    if not isinstance(payload, dict):
        raise ValidationFailed(errors={"non_field_errors": [_("The body must be a JSON object.")]})
    serializer = handler.serializer(data=payload)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@dataclass(frozen=True)
class Receipt:
    event: InboundEvent
    duplicate: bool


def receive(*, kind: str, sender: str, body: bytes, signature: str | None) -> Receipt:
    """Verify and store one delivery. Raises Unauthorized (401), ValidationFailed/DRF
    ValidationError (400) or NotFound (404); a repeated event id returns `duplicate=True`."""
    handler = handler_for(kind)
    if len(sender) > SENDER_MAX_LENGTH or "\x00" in sender:
        raise NotFound(_("Unknown webhook sender."))
    try:
        signed = signing.verify(header=signature, body=body, secrets=secrets_for(kind, sender),
                                tolerance=settings.OMS_WEBHOOK_TOLERANCE_SECONDS)
    except signing.SignatureError as exc:
        raise Unauthorized(str(exc))
    payload = parse_body(body)
    event_id = payload.get("event_id") if isinstance(payload, dict) else None
    if isinstance(event_id, str) and event_id.strip() and "\x00" not in event_id:
        # Event ids are unique per kind, whichever sender's path they came through: the same bytes
        # posted to /payments/alipay and /payments/alipay-2 are one event.
        existing = InboundEvent.objects.filter(kind=kind, event_id=event_id.strip()).first()
        if existing is not None:
            return Receipt(event=existing, duplicate=True)
    data = validate(handler, payload)
    money_key = handler.money_key(data) if handler.money_key else ""
    if money_key:
        existing = InboundEvent.objects.filter(kind=kind, money_key=money_key).first()
        if existing is not None:  # the same provider transaction under another event id or path
            return Receipt(event=existing, duplicate=True)
    handler.resolve(data)
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                kind=kind, sender=sender, event_id=data["event_id"], money_key=money_key, payload=payload,
                body=body.decode("utf-8"), signed_at=datetime.fromtimestamp(signed, tz=UTC),
            )
            transaction.on_commit(partial(process_event, event_id=event.pk), robust=True)
    except IntegrityError:
        # The same event (or transaction) delivered twice at the same moment: the other delivery stored it.
        existing = (InboundEvent.objects.filter(kind=kind, event_id=data["event_id"]).first()
                    or InboundEvent.objects.filter(kind=kind, money_key=money_key).exclude(money_key="").first())
        if existing is None:
            raise
        return Receipt(event=existing, duplicate=True)
    return Receipt(event=event, duplicate=False)


def parse_body(body: bytes):
    """The JSON body, or ValidationFailed (400) — also for NUL bytes and absurdly deep nesting."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationFailed(errors={"non_field_errors": [_("The body is not valid JSON.")]})
    except RecursionError:
        raise ValidationFailed(errors={"non_field_errors": [_("The body is nested too deeply.")]})
    return payload


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def process_event(*, event_id: int) -> InboundEvent:
    """Process one stored event (after commit, or in the retry job). Safe to call twice at once:
    the event row is locked while it is processed, and a processed event is skipped."""
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().get(pk=event_id)
        if event.status == InboundStatus.PROCESSED:
            return event
        attempt = InboundAttempt(event=event, started_at=timezone.now())
        handler = _HANDLERS.get(event.kind)
        try:
            if handler is None:
                raise RuntimeError(f"no handler registered for {event.kind}")
            data = validate(handler, event.payload)
            with transaction.atomic():
                handler.handle(event, data, webhook_actor(f"{event.kind}/{event.sender}"))
        except Exception as exc:  # noqa: BLE001 — every failure is recorded on the event and retried
            event.attempts += 1
            if isinstance(exc, DomainError):
                event.last_error = f"{type(exc).__name__}: {exc}"
                event.status = InboundStatus.DEAD  # a business refusal: retrying will not change it
                event.next_attempt_at = None
            else:
                event.last_error = "".join(traceback.format_exception_only(exc)).strip()
                logger.exception("webhook event %s failed", event)
                gave_up = event.attempts >= MAX_ATTEMPTS
                event.status = InboundStatus.DEAD if gave_up else InboundStatus.FAILED
                event.next_attempt_at = None if gave_up else timezone.now() + _backoff(event.attempts)
            attempt.error = event.last_error
        else:
            event.attempts += 1
            event.status = InboundStatus.PROCESSED
            event.processed_at = timezone.now()
            event.next_attempt_at = None
            event.last_error = ""
            attempt.succeeded = True
        attempt.finished_at = timezone.now()
        attempt.save()
        event.save()
    return event


def retry_due_events(*, now=None) -> int:
    """Run by the django-q2 schedule (every minute): process failed events whose back-off has
    passed, and events still `pending` after the grace period — accepted and stored, but the web
    process died (or its after-commit call failed) before processing them. Without this they
    stayed pending for good while the sender's retries were answered `duplicate`."""
    now = now or timezone.now()
    grace = timedelta(seconds=getattr(settings, "OMS_WEBHOOK_PENDING_GRACE_SECONDS", 60))
    due = (Q(status=InboundStatus.FAILED, next_attempt_at__lte=now)
           | Q(status=InboundStatus.PENDING, received_at__lte=now - grace))
    ids = list(InboundEvent.objects.filter(due).order_by("received_at", "pk").values_list("pk", flat=True)[:200])
    for pk in ids:
        process_event(event_id=pk)
    return len(ids)


def retry_now(*, event: InboundEvent) -> InboundEvent:
    """An administrator retries a failed or dead event by hand."""
    InboundEvent.objects.filter(pk=event.pk, status__in=[InboundStatus.FAILED, InboundStatus.DEAD]).update(
        status=InboundStatus.FAILED)
    return process_event(event_id=event.pk)
