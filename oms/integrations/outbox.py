"""The outbox: messages to outside systems, written in the transaction of the business step.

`outbox_write` is called inside that transaction (e.g. when a shipment of a WMS-run warehouse is
planned), so the message exists exactly when the step committed; nothing is sent before commit and
nothing is lost if the receiver is down. After commit a django-q2 job delivers it: an HTTP POST of
the JSON payload to the endpoint configured for (kind, destination) in the admin, signed like our
inbound webhooks (`X-OMS-Signature: t=…,v1=HMAC-SHA256(secret, "<t>.<body>")`), with the message id
in `X-OMS-Message-Id` so the receiver can drop repeats. A failure is retried with exponential
back-off (1, 2, 4 … 60 minutes) by the schedule `deliver_outbox` (every minute); every attempt is
kept and shown in the admin. Messages with the same `key` (a shipment number) are delivered in the
order they were written, so a cancellation never overtakes the instruction it cancels.

A message is claimed with a lease (a conditional UPDATE), so two workers never send it at once
and the HTTP call happens outside any transaction; a worker that dies mid-send leaves a lease
that expires and the message is picked up again.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from oms.integrations import signing
from oms.integrations.models import OutboundEndpoint, OutboxAttempt, OutboxMessage, OutboxStatus

logger = logging.getLogger("oms.outbox")

MAX_ATTEMPTS = 12  # about 7.5 hours of back-off before a person has to look
LEASE = timedelta(minutes=2)
MESSAGE_ID_HEADER = "X-OMS-Message-Id"
TOPIC_HEADER = "X-OMS-Topic"
PERMANENT_STATUSES = {400, 401, 403, 404, 405, 410, 413, 415, 422}  # the receiver refuses it as it is


def outbox_write(*, kind: str, destination: str, topic: str, message_id: str, payload: dict, key: str = "",
                 order_number: str = "") -> OutboxMessage:
    """Store a message in the caller's transaction and send it after commit. Idempotent on `message_id`."""
    existing = OutboxMessage.objects.filter(message_id=message_id).first()
    if existing is not None:
        return existing
    message = OutboxMessage.objects.create(kind=kind, destination=destination, topic=topic, message_id=message_id,
                                           payload=payload, key=key, order_number=order_number)
    transaction.on_commit(partial(enqueue_delivery, message.pk))
    return message


def enqueue_delivery(message_pk: int) -> None:
    from django_q.tasks import async_task

    async_task("oms.integrations.tasks.deliver_outbox_message", message_pk, task_name=f"outbox:{message_pk}",
               group="outbox")


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _due(now) -> Q:
    return (Q(status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED], next_attempt_at__lte=now)
            | Q(status=OutboxStatus.SENDING, lease_until__lt=now))


def _claim(message_pk: int, now) -> OutboxMessage | None:
    """Take the message for sending, or None if it is not due or someone else has it."""
    claimed = OutboxMessage.objects.filter(_due(now), pk=message_pk).update(
        status=OutboxStatus.SENDING, lease_until=now + LEASE)
    if not claimed:
        return None
    message = OutboxMessage.objects.get(pk=message_pk)
    if message.key and OutboxMessage.objects.filter(
            kind=message.kind, destination=message.destination, key=message.key, pk__lt=message.pk).exclude(
            status=OutboxStatus.DELIVERED).exists():
        # An earlier message about the same thing is not delivered yet: it goes first.
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.FAILED if message.attempts else OutboxStatus.PENDING, lease_until=None,
            next_attempt_at=now + timedelta(seconds=30))
        return None
    return message


@dataclass
class Sent:
    """What one delivery attempt came to."""

    status_code: int | None
    error: str = ""
    response: str = ""
    request: str = ""
    url: str = ""
    permanent: bool = False  # refused as it is: retrying will not help
    waiting: bool = False  # the destination is not configured or paused: wait, do not use up attempts


@dataclass
class Transport:
    send: Callable[[OutboxMessage], Sent]
    max_attempts: int = MAX_ATTEMPTS
    after: Callable[[OutboxMessage, Sent], None] | None = None  # runs in the attempt's transaction


TRANSPORTS: dict[str, Transport] = {}


def register_transport(kind: str, send: Callable[[OutboxMessage], Sent], *, max_attempts: int = MAX_ATTEMPTS,
                       after: Callable[[OutboxMessage, Sent], None] | None = None) -> None:
    """Messages of `kind` are sent by `send` instead of a POST to the kind's `OutboundEndpoint`:
    outbound webhooks (per subscription), platform calls (tracking numbers), CRM updates."""
    TRANSPORTS[kind] = Transport(send=send, max_attempts=max_attempts, after=after)


REDACTED_HEADERS = {"authorization"}


def describe_request(method: str, url: str, headers: dict, body: bytes) -> str:
    """The request as the delivery log shows it (credentials left out)."""
    lines = [f"{method} {url}", *(f"{name}: {'***' if name.lower() in REDACTED_HEADERS else value}"
                                  for name, value in headers.items()), "", body.decode("utf-8", "replace")[:4000]]
    return "\n".join(lines)


def http_send(method: str, url: str, body: bytes, headers: dict, *, timeout: float) -> Sent:
    """Send once; any answer or network failure becomes a `Sent`."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    logged = describe_request(method, url, headers, body)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Sent(response.status, "", response.read(2000).decode("utf-8", "replace"), logged, url)
    except urllib.error.HTTPError as exc:
        text = exc.read(2000).decode("utf-8", "replace") if exc.fp else ""
        return Sent(exc.code, f"HTTP {exc.code} {exc.reason}", text, logged, url,
                    permanent=exc.code in PERMANENT_STATUSES)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Sent(None, f"{type(exc).__name__}: {reason}", "", logged, url)


def http_post(url: str, body: bytes, headers: dict, *, timeout: float) -> Sent:
    return http_send("POST", url, body, headers, timeout=timeout)


def _post(endpoint: OutboundEndpoint, message: OutboxMessage) -> Sent:
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    secret = endpoint.secret or settings.OMS_WEBHOOK_SECRET
    return http_post(endpoint.url, body, {
        "Content-Type": "application/json; charset=utf-8", signing.HEADER: signing.sign(body, secret),
        MESSAGE_ID_HEADER: message.message_id, TOPIC_HEADER: message.topic, "User-Agent": "OMS-outbox/1",
    }, timeout=endpoint.timeout_seconds)


def _send(message: OutboxMessage) -> tuple[Sent, Transport | None]:
    transport = TRANSPORTS.get(message.kind)
    if transport is not None:
        return transport.send(message), transport
    endpoint = OutboundEndpoint.objects.filter(kind=message.kind, code=message.destination, active=True).first()
    if endpoint is None:
        return Sent(None, f"no active endpoint for {message.kind}/{message.destination}", waiting=True), None
    return _post(endpoint, message), None


def deliver(*, message_pk: int, now=None) -> OutboxMessage:
    """Send one message if it is due; record the attempt; schedule the next one on failure.

    `now` lets a test run a simulated clock: the attempt is dated `now` plus the real time it took.
    """
    now = now or timezone.now()
    message = _claim(message_pk, now)
    if message is None:
        return OutboxMessage.objects.get(pk=message_pk)
    started = time.monotonic()
    sent, transport = _send(message)
    elapsed = time.monotonic() - started
    finished = now + timedelta(seconds=elapsed)
    max_attempts = transport.max_attempts if transport else MAX_ATTEMPTS
    attempt = OutboxAttempt(message=message, started_at=now, url=sent.url[:500], request=sent.request)
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        attempt.finished_at, attempt.status_code, attempt.response = finished, sent.status_code, sent.response
        attempt.duration_ms = int(elapsed * 1000)
        message.attempts += 1
        message.lease_until = None
        if sent.status_code is not None and 200 <= sent.status_code < 300:
            attempt.succeeded = True
            message.status, message.delivered_at, message.last_error = OutboxStatus.DELIVERED, finished, ""
        else:
            attempt.error = sent.error
            message.last_error = sent.error
            if not sent.waiting and (sent.permanent or message.attempts >= max_attempts):
                message.status = OutboxStatus.DEAD
            else:  # receiver down, or not configured yet: the message waits
                message.status = OutboxStatus.FAILED
                message.next_attempt_at = finished + backoff(message.attempts)
            logger.warning("outbox %s attempt %d failed: %s", message, message.attempts, sent.error)
        attempt.save()
        message.save()
        if transport is not None and transport.after is not None:
            transport.after(message, sent)
    return message


def deliver_due(*, now=None, limit: int = 200) -> int:
    """The schedule's job: send every message whose time has come, oldest first."""
    now = now or timezone.now()
    ids = list(OutboxMessage.objects.filter(_due(now)).order_by("pk").values_list("pk", flat=True)[:limit])
    for pk in ids:
        deliver(message_pk=pk, now=now)
    return len(ids)


def retry_now(*, message: OutboxMessage) -> OutboxMessage:
    """An administrator sends a failed or dead message again."""
    OutboxMessage.objects.filter(pk=message.pk, status__in=[OutboxStatus.FAILED, OutboxStatus.DEAD]).update(
        status=OutboxStatus.FAILED, next_attempt_at=timezone.now())
    return deliver(message_pk=message.pk)
