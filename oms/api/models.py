"""API tokens and the record of orders submitted through the API (for idempotent replays)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from oms.api.scopes import DEFAULT_SCOPES

TOKEN_PREFIX_LENGTH = 12  # "oms_" + 8 random characters: unique, shown in the admin, used for lookup


def default_scopes() -> list[str]:
    return list(DEFAULT_SCOPES)


def hash_token(raw: str) -> str:
    """SHA-256 of the whole token. Tokens carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A bearer token of a channel connector or another machine caller.

    Only a SHA-256 hash of the token is stored; the raw value is shown once when it is created.
    `prefix` (the token's first characters) finds the row without scanning hashes.
    """

    name = models.CharField(_("name"), max_length=100, unique=True,
                            help_text=_("Who uses the token, e.g. “tmall-connector”. Shown on order timelines."))
    prefix = models.CharField(_("prefix"), max_length=TOKEN_PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=default_scopes)
    channel = models.ForeignKey("orders.Channel", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="api_tokens", verbose_name=_("channel"),
                                help_text=_("When set, the token may only create and read this channel's orders."))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("revoked by"))

    # Configuration: every change kept with its before/after values (issue 17), read-only in the admin.
    history = HistoricalRecords(excluded_fields=["key_hash", "last_used_at"])

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(active=True) | Q(revoked_at__isnull=False),
                                   name="api_token_inactive_has_revoked_at"),
        ]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @property
    def channel_code(self) -> str | None:
        return self.channel.code if self.channel_id else None


class OrderSubmission(models.Model):
    """One order created through `POST /api/v1/orders`, with what made it idempotent.

    `request_hash` is the SHA-256 of the canonical JSON body, so a retry with the same body is a
    replay and the same `Idempotency-Key` (or channel order) with another body is a conflict.
    Keys are scoped per token. The unique constraints decide races: the loser's transaction rolls
    back and it replays the winner's order.
    """

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="api_submission",
                                 verbose_name=_("order"))
    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="submissions",
                              verbose_name=_("API token"))
    idempotency_key = models.CharField(_("Idempotency-Key"), max_length=255, blank=True)
    request_hash = models.CharField(_("request hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("API order submission")
        verbose_name_plural = _("API order submissions")
        constraints = [
            models.UniqueConstraint(fields=["token", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="api_submission_token_key_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.token_id}:{self.idempotency_key or '-'} → {self.order_id}"
