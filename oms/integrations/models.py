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
    PENDING = "pending", _("Pending")
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
