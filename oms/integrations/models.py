"""Signed inbound webhooks: who may send them, and the inbox of every event accepted.

An event is stored before it is processed (so nothing is lost if processing fails), once per
sender and event id (a repeat is acknowledged and changes nothing). Processing runs after the
commit, is idempotent, and is retried by a django-q2 schedule with back-off when it fails; every
attempt is kept and shown in the admin.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class WebhookKind(models.TextChoices):
    PAYMENTS = "payments", _("Payment provider")
    WMS = "wms", _("Warehouse (WMS)")
    CARRIERS = "carriers", _("Carrier")


class WebhookSender(models.Model):
    """A sender with its own secret; senders without a row use `settings.OMS_WEBHOOK_SECRET`."""

    kind = models.CharField(_("kind"), max_length=16, choices=WebhookKind.choices)
    code = models.SlugField(_("code"), max_length=32, help_text=_("The {provider}/{warehouse}/{carrier} in the URL."))
    name = models.CharField(_("name"), max_length=100, blank=True)
    secret = models.CharField(_("secret"), max_length=200, blank=True,
                              help_text=_("HMAC-SHA256 secret; empty means the default OMS_WEBHOOK_SECRET."))
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Events from an inactive sender are refused (401)."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook sender")
        verbose_name_plural = _("webhook senders")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="integrations_sender_kind_code_uniq")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.code}"


class InboundStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("inbound event status", "Pending")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed, will be retried")
    DEAD = "dead", _("Failed, needs attention")


class InboundEvent(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=WebhookKind.choices)
    sender = models.CharField(_("sender"), max_length=32)
    event_id = models.CharField(_("event ID"), max_length=100)
    payload = models.JSONField(_("payload"))
    body = models.TextField(_("raw body"))
    signed_at = models.DateTimeField(_("signed at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=InboundStatus.choices, default=InboundStatus.PENDING,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        ordering = ["-received_at", "-id"]
        permissions = [("retry_inboundevent", _("Can retry inbound events"))]
        constraints = [
            models.UniqueConstraint(fields=["kind", "sender", "event_id"], name="integrations_event_sender_id_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.sender}/{self.event_id}"


class InboundAttempt(models.Model):
    event = models.ForeignKey(InboundEvent, on_delete=models.CASCADE, related_name="attempt_log",
                              verbose_name=_("event"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("processing attempt")
        verbose_name_plural = _("processing attempts")
        ordering = ["event", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id} @ {self.started_at:%Y-%m-%d %H:%M:%S}"


# -- outbox: messages to outside systems (WMS shipping instructions), delivered after commit --------------------
class OutboundEndpoint(models.Model):
    """Where messages of one kind for one destination go: e.g. kind `wms`, code = the warehouse code."""

    kind = models.CharField(_("kind"), max_length=16, choices=WebhookKind.choices)
    code = models.SlugField(_("code"), max_length=32, help_text=_("The destination, e.g. the warehouse code."))
    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200, blank=True,
                              help_text=_("HMAC-SHA256 secret for X-OMS-Signature; empty means OMS_WEBHOOK_SECRET."))
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Messages for an inactive endpoint wait in the outbox."))
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (s)"), default=10)

    class Meta:
        verbose_name = _("outbound endpoint")
        verbose_name_plural = _("outbound endpoints")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="integrations_endpoint_kind_code_uniq")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.code} → {self.url}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, will be retried")
    DEAD = "dead", _("Failed, needs attention")


class OutboxMessage(models.Model):
    """One message to an outside system, written in the transaction of the business step it reports."""

    kind = models.CharField(_("kind"), max_length=16, choices=WebhookKind.choices)
    destination = models.CharField(_("destination"), max_length=32, help_text=_("Endpoint code, e.g. GZ01."))
    topic = models.CharField(_("topic"), max_length=40, help_text=_("What it says, e.g. shipping_instruction."))
    message_id = models.CharField(_("message ID"), max_length=100, unique=True,
                                  help_text=_("Sent as X-OMS-Message-Id; the receiver deduplicates on it."))
    key = models.CharField(_("ordering key"), max_length=64, blank=True, db_index=True,
                           help_text=_("Messages with the same key are delivered in the order they were written."))
    order_number = models.CharField(_("order number"), max_length=32, blank=True, db_index=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now, db_index=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(pgettext_lazy("message", "delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        permissions = [("retry_outboxmessage", _("Can send outbox messages again"))]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="integrations_outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.destination}/{self.message_id}"


class OutboxAttempt(models.Model):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempt_log",
                                verbose_name=pgettext_lazy("outbox", "message"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    url = models.CharField(_("URL"), max_length=500, blank=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    error = models.TextField(_("error"), blank=True)
    response = models.TextField(_("response (start)"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["message", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} @ {self.started_at:%Y-%m-%d %H:%M:%S}"
