"""Telling the customer: one interface, pluggable backends (console, e-mail, SMS gateway).

Services build a `Notification` and call `notify()` inside their transaction; it is sent by a
django-q2 job only after the transaction commits, so a customer is never told about a shipment
that was rolled back, and a slow SMS gateway never holds a row lock. With the order and a key, the
request goes through the hook `customer_notification_requested`: the workflow records it as a
follow-up in the same transaction (`oms.workflow.follow_ups`), so a lost job is retried by the
recovery schedule and the same key is never sent twice. `OMS_NOTIFICATION_BACKENDS`
lists the backends (dotted paths); the default writes to the console.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.request
from dataclasses import asdict, dataclass, replace
from functools import cache

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils.module_loading import import_string

from core.pii import mask_email, mask_phone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    kind: str  # machine code, e.g. "shipment_shipped"
    order_number: str
    phone: str
    email: str
    subject: str
    body: str
    # Stable across retries of the same notification (the workflow passes its follow-up's id): a
    # gateway that de-duplicates on it sends once even when OMS sends again because the commit that
    # would have marked it sent failed after the gateway took it.
    message_id: str = ""


class NotificationBackend:
    def send(self, notification: Notification) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(NotificationBackend):
    """The default: print what would be sent (like Django's console e-mail backend)."""

    stream = None

    def send(self, notification: Notification) -> None:
        stream = self.stream or sys.stdout
        # The log is read by whoever runs the server: the recipient is masked (issue 17).
        to = mask_phone(notification.phone) if notification.phone else mask_email(notification.email)
        stream.write(f"[{notification.kind}] to {to}: {notification.body}\n")
        stream.flush()


class EmailBackend(NotificationBackend):
    """Through Django's e-mail machinery (`EMAIL_BACKEND`); customers without an address are skipped."""

    def send(self, notification: Notification) -> None:
        if not notification.email:
            return
        headers = {}
        if notification.message_id:  # the same Message-ID on a resend: mail systems keep one copy
            headers["Message-ID"] = f"<{notification.message_id}@{DNS_NAME}>"  # the host, as make_msgid uses
        EmailMessage(notification.subject, notification.body, None, [notification.email], headers=headers).send()


class SmsGatewayBackend(NotificationBackend):
    """POSTs `{"phone", "text", "message_id"}` as JSON to `OMS_SMS_GATEWAY_URL` (an SMS provider or an
    adapter in front of one); `message_id` is the same on a resend, for the gateway to de-duplicate."""

    timeout = 10

    def send(self, notification: Notification) -> None:
        url = getattr(settings, "OMS_SMS_GATEWAY_URL", "")
        if not url or not notification.phone:
            return
        message = {"phone": notification.phone, "text": notification.body}
        if notification.message_id:
            message["message_id"] = notification.message_id
        body = json.dumps(message, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
            response.read()


class MemoryBackend(NotificationBackend):
    """Keeps what was sent in `MemoryBackend.outbox`; for tests."""

    outbox: list[Notification] = []

    def send(self, notification: Notification) -> None:
        MemoryBackend.outbox.append(notification)


@cache
def _backend(path: str) -> NotificationBackend:
    return import_string(path)()


def backends() -> list[NotificationBackend]:
    paths = getattr(settings, "OMS_NOTIFICATION_BACKENDS", ["logistics.notifications.ConsoleBackend"])
    return [_backend(path) for path in paths]


def deliver(data: dict, *, message_id: str = "") -> int:
    """Hand one notification to every configured backend (the django-q2 job, or the workflow's
    follow-up, which passes a `message_id` that stays the same when it is sent again). Returns how
    many took it."""
    notification = Notification(**data)
    if message_id:
        notification = replace(notification, message_id=message_id)
    sent = 0
    for backend in backends():
        try:
            backend.send(notification)
            sent += 1
        except Exception:  # one broken channel must not stop the others
            log.exception("notification %s for %s failed in %s", notification.kind, notification.order_number,
                          type(backend).__name__)
    return sent


def notify(notification: Notification, *, order_id: int | None = None, key: str = "", actor=None) -> None:
    """Queue a notification for after the current transaction commits (recorded as the order's
    follow-up when `order_id` is given and the workflow listens; otherwise a plain job)."""
    from core import hooks

    data = asdict(notification)
    if order_id is not None and hooks.customer_notification_requested.handlers:
        hooks.customer_notification_requested.fire(hooks.CustomerNotificationRequested(
            order_id=order_id, key=key or notification.kind, data=data, actor=actor))
        return

    def enqueue():
        from django_q.tasks import async_task

        async_task("logistics.notifications.deliver", data, task_name=f"notify:{notification.kind}",
                   group="notifications")

    transaction.on_commit(enqueue)
