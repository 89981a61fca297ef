"""Signed inbound webhooks: who may send them, and the inbox of every event accepted.

An event is stored before it is processed (so nothing is lost if processing fails), once per
sender and event id (a repeat is acknowledged and changes nothing). Processing runs after the
commit, is idempotent, and is retried by a django-q2 schedule with back-off when it fails; every
attempt is kept and shown in the admin.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.fieldcrypto import BlindIndexField, EncryptedCharField, EncryptedJSONField, EncryptedTextField
from core.shared_values import SharedValue


class WebhookKind(models.TextChoices):
    PAYMENTS = "payments", _("Payment provider")
    WMS = "wms", _("Warehouse (WMS)")
    CARRIERS = "carriers", _("Carrier")
    CHANNEL = "channel", _("Sales platform")
    WEBHOOK = "webhook", _("Outbound webhook")
    CRM = "crm", _("CRM")
    SMS = "sms", _("SMS gateway")
    AUTOMATION = "automation", _("Automation rule call")


class WebhookSender(models.Model):
    """A sender with its own secret. With `DJANGO_DEBUG=0` only registered senders with a secret are
    accepted; in development senders without one sign with a secret derived for them from
    `settings.OMS_WEBHOOK_SECRET` (`inbox.development_secret`). No two senders share a secret, so a
    signature names its sender. The secret is encrypted at rest; its keyed hash keeps it unique."""

    kind = models.CharField(_("kind"), max_length=16, choices=WebhookKind.choices)
    code = models.SlugField(_("code"), max_length=32, help_text=_("The {provider}/{warehouse}/{carrier} in the URL."))
    name = models.CharField(_("name"), max_length=100, blank=True)
    secret = EncryptedCharField(_("secret"), max_length=200, blank=True,
                                help_text=_("HMAC-SHA256 secret; empty means the development default derived from "
                                            "OMS_WEBHOOK_SECRET."))
    secret_index = BlindIndexField(_("secret hash"), source="secret", kind="secret")
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Events from an inactive sender are refused (401)."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # Configuration: every change kept with its before/after values (issue 17), read-only in the admin.
    history = HistoricalRecords(excluded_fields=["secret", "secret_index"])

    class Meta:
        verbose_name = _("webhook sender")
        verbose_name_plural = _("webhook senders")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="integrations_sender_kind_code_uniq"),
            # The secret is ciphertext (a fresh token per save): uniqueness holds on its keyed hash.
            models.UniqueConstraint(fields=["secret_index"], condition=~models.Q(secret_index=""),
                                    name="integrations_sender_secret_index_uniq"),
        ]

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
    money_key = models.CharField(_("provider transaction"), max_length=80, blank=True,
                                 help_text=_("A money event's status and provider transaction ID; unique."))
    payload = EncryptedJSONField(_("payload"))  # names, phones and addresses: encrypted at rest
    body = EncryptedTextField(_("raw body"))
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
            # One event id per kind whichever sender's URL it came through (issue 17: the same bytes
            # posted to three payment paths paid an order three times).
            models.UniqueConstraint(fields=["kind", "event_id"], name="integrations_event_kind_id_uniq"),
            models.UniqueConstraint(fields=["kind", "money_key"], condition=~models.Q(money_key=""),
                                    name="integrations_event_money_key_uniq"),
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
    secret = EncryptedCharField(_("secret"), max_length=200, blank=True,  # encrypted at rest
                                help_text=_("HMAC-SHA256 secret for X-OMS-Signature; empty means OMS_WEBHOOK_SECRET."))
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Messages for an inactive endpoint wait in the outbox."))
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (s)"), default=10)

    # Configuration: every change kept with its before/after values (issue 17), read-only in the admin.
    history = HistoricalRecords(excluded_fields=["secret"])

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
    payload = EncryptedJSONField(_("payload"))  # names, phones and addresses: encrypted at rest
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
    request = models.TextField(_("request"), blank=True, help_text=_("Headers and body as sent (secrets left out)."))
    response = models.TextField(_("response (start)"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["message", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} @ {self.started_at:%Y-%m-%d %H:%M:%S}"


# -- channel connectors: orders pulled from the sales platforms ---------------------------------------------------
class ChannelConnector(models.Model):
    """How OMS talks to one shop on one platform: credentials, pull settings and where the last pull ended."""

    channel = models.ForeignKey("orders.Channel", on_delete=models.PROTECT, related_name="connectors",
                                verbose_name=_("channel"))
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    platform = models.CharField(_("platform"), max_length=32,
                                help_text=_("The adapter that speaks this platform's API, e.g. douyin."))
    base_url = models.URLField(_("API base URL"), max_length=500)
    app_key = models.CharField(_("app key"), max_length=100)
    app_secret = EncryptedCharField(_("app secret"), max_length=200, blank=True)  # encrypted at rest
    access_token = EncryptedCharField(_("access token"), max_length=500, blank=True)  # encrypted at rest
    shop_id = models.CharField(_("shop ID"), max_length=64, blank=True)
    page_size = models.PositiveSmallIntegerField(_("page size"), default=100)
    overlap_seconds = models.PositiveIntegerField(
        _("overlap (s)"), default=600,
        help_text=_("Each pull starts this long before the previous one ended, so late-indexed orders are not missed."))
    max_window_hours = models.PositiveIntegerField(_("longest window (h)"), default=24)
    requests_per_second = models.DecimalField(_("requests per second"), max_digits=6, decimal_places=2, default=5)
    max_retries = models.PositiveSmallIntegerField(_("retries per request"), default=6)
    initial_since = models.DateTimeField(_("first pull from"), null=True, blank=True,
                                         help_text=_("Where the very first pull starts; empty means one day ago."))
    cursor = models.DateTimeField(_("pulled up to"), null=True, blank=True, editable=False)
    push_stock = models.BooleanField(_("push stock levels"), default=True)
    push_tracking = models.BooleanField(_("push tracking numbers"), default=True)
    settings = models.JSONField(_("other settings"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("channel connector")
        verbose_name_plural = _("channel connectors")
        ordering = ["code"]
        permissions = [("run_channelconnector", _("Can pull orders from a platform"))]

    def __str__(self) -> str:
        return self.name or self.code


class PlatformOrderLink(models.Model):
    """A platform order and the OMS order it became, with what we last saw of it (to spot changes)."""

    connector = models.ForeignKey(ChannelConnector, on_delete=models.CASCADE, related_name="order_links",
                                  verbose_name=_("connector"))
    external_id = models.CharField(_("platform order ID"), max_length=64)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="platform_links",
                              verbose_name=_("order"))
    platform_status = models.CharField(_("platform status"), max_length=32, blank=True)
    platform_updated_at = models.DateTimeField(_("changed on the platform at"), null=True, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    snapshot = models.JSONField(_("last seen"), default=dict)
    pulled_at = models.DateTimeField(_("pulled at"), default=timezone.now)

    class Meta:
        verbose_name = _("platform order")
        verbose_name_plural = _("platform orders")
        ordering = ["-pulled_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["connector", "external_id"],
                                               name="integrations_link_connector_external_uniq")]

    def __str__(self) -> str:
        return f"{self.connector_id}/{self.external_id}"


class SyncStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("sync", "Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partial", _("Finished with failed orders")
    FAILED = "failed", _("Failed")


class SyncRun(models.Model):
    """One pull of one time window: what came, what it did, and what the platform said when it failed."""

    connector = models.ForeignKey(ChannelConnector, on_delete=models.CASCADE, related_name="runs",
                                  verbose_name=_("connector"))
    retry_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retries",
                                 verbose_name=_("retry of"))
    window_from = models.DateTimeField(_("from"))
    window_to = models.DateTimeField(_("to"))
    status = models.CharField(_("status"), max_length=10, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    requests = models.PositiveIntegerField(_("requests"), default=0)
    throttled = models.PositiveIntegerField(_("rate-limited answers"), default=0)
    fetched = models.PositiveIntegerField(_("fetched"), default=0)
    created = models.PositiveIntegerField(pgettext_lazy("count", "created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.connector} {self.window_from:%Y-%m-%d %H:%M}–{self.window_to:%H:%M}"


class SyncItem(models.Model):
    """An order of a run that failed or changed something; skipped ones are only counted."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        HELD = "held", _("Put on hold")
        ATTENTION = "attention", _("Needs attention")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="items",
                            verbose_name=pgettext_lazy("sync", "run"))
    external_id = models.CharField(_("platform order ID"), max_length=64)
    order_number = models.CharField(_("order number"), max_length=32, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    message = models.TextField(pgettext_lazy("outbox", "message"), blank=True)

    class Meta:
        verbose_name = _("sync item")
        verbose_name_plural = _("sync items")
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.outcome}"


# -- outbound webhooks: other systems subscribe to what happens to orders ------------------------------------------
class WebhookEvent(models.TextChoices):
    ORDER_CREATED = "order.created", _("Order created")
    ORDER_REVIEWED = "order.reviewed", _("Order reviewed")
    ORDER_PAID = "order.paid", _("Order paid")
    ORDER_SHIPPED = "order.shipped", _("Order shipped")
    ORDER_DELIVERED = "order.delivered", _("Order delivered")
    ORDER_COMPLETED = "order.completed", _("Order completed")
    ORDER_CANCELLED = "order.cancelled", _("Order cancelled")
    RETURN_REQUESTED = "return.requested", _("Return requested")
    ORDER_REFUNDED = "order.refunded", _("Order refunded")
    STOCK_LOW = "stock.low", _("Stock low")


class WebhookSubscription(models.Model):
    """A receiver of outbound webhooks: which events, where, signed with which secret, filtered how."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = EncryptedCharField(_("secret"), max_length=200,  # encrypted at rest
                                help_text=_("HMAC-SHA256 secret of the X-OMS-Signature header."))
    events = models.JSONField(_("events"), default=list, help_text=_("Event types this receiver gets."))
    channels = models.ManyToManyField("orders.Channel", blank=True, related_name="+", verbose_name=_("channels"),
                                      help_text=_("Only orders of these channels; none means every channel."))
    min_total = models.DecimalField(_("minimum order total"), max_digits=12, decimal_places=2, null=True, blank=True,
                                    help_text=_("Only orders of at least this total; empty means any."))
    version = models.CharField(_("payload version"), max_length=8, default="1")
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (s)"), default=10)
    active = models.BooleanField(_("active"), default=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True,
                                     help_text=_("Paused after deliveries kept failing; events wait until resumed."))
    paused_reason = models.TextField(_("why paused"), blank=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    # Every order event asks "does anyone listen?" (`webhooks.anyone_listening`, cached): a change to
    # the subscriptions forgets the answer, now and again when the transaction commits.
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        subscribers_changed()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        subscribers_changed()
        return result


# Whether any subscription is active: read on every order (`webhooks.anyone_listening`), forgotten by
# every change of a subscription; a minute at most in the shared cache.
anyone_listening_value = SharedValue("integrations:anyone_listening", shared_seconds=60)


def subscribers_changed() -> None:
    anyone_listening_value.forget()


class WebhookDelivery(OutboxMessage):
    """The outbox seen as outbound webhook deliveries (a proxy: same rows, kind `webhook`)."""

    class Meta:
        proxy = True
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        permissions = [("replay_webhookdelivery", _("Can replay webhook deliveries"))]


class DeadLetter(OutboxMessage):
    """Outbox messages that gave up: the dead-letter list, replayed one by one or in bulk."""

    class Meta:
        proxy = True
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")


class RelayCursor(models.Model):
    """How far a relay has read a log (the order timeline, stock levels) to turn it into webhook events."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    position = models.BigIntegerField(pgettext_lazy("cursor", "position"), default=0)
    state = models.JSONField(pgettext_lazy("cursor", "state"), default=dict, blank=True)

    class Meta:
        verbose_name = _("relay cursor")
        verbose_name_plural = _("relay cursors")

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"


# -- CRM and SMS adapters -----------------------------------------------------------------------------------------
class CrmEndpoint(models.Model):
    """A CRM that takes customer follow-up updates as JSON, with our fields mapped onto its field names."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.URLField(_("URL"), max_length=500)
    method = models.CharField(_("HTTP method"), max_length=6, default="POST",
                              choices=[("POST", "POST"), ("PUT", "PUT"), ("PATCH", "PATCH")])
    token = EncryptedCharField(_("API token"), max_length=500, blank=True,  # encrypted at rest
                               help_text=_("Sent as Authorization: Bearer …; empty sends none."))
    secret = EncryptedCharField(_("signing secret"), max_length=200, blank=True,  # encrypted at rest
                                help_text=_("HMAC-SHA256 secret for X-OMS-Signature; empty means unsigned."))
    field_map = models.JSONField(
        _("field mapping"), default=dict, blank=True,
        help_text=_("Our field → the CRM's field (dots make nested objects), e.g. "
                    "{\"customer.phone\": \"mobile\", \"status\": \"follow.status\"}. Unmapped fields are not sent."))
    value_map = models.JSONField(_("status values"), default=dict, blank=True,
                                 help_text=_("Our follow-up status → the CRM's value, e.g. {\"done\": \"2\"}."))
    static_fields = models.JSONField(_("fixed fields"), default=dict, blank=True,
                                     help_text=_("Sent with every request, e.g. {\"source\": \"OMS\"}."))
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (s)"), default=10)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("CRM endpoint")
        verbose_name_plural = _("CRM endpoints")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code


class SmsGateway(models.Model):
    """The SMS provider OMS sends through; without an active row messages go to the console."""

    class Provider(models.TextChoices):
        CONSOLE = "console", _("Console (print only)")
        ALIYUN = "aliyun", _("Aliyun-style gateway (template code + parameters)")

    code = models.SlugField(_("code"), max_length=32, unique=True, default="default")
    provider = models.CharField(pgettext_lazy("service", "provider"), max_length=16, choices=Provider.choices,
                                default=Provider.CONSOLE)
    endpoint = models.URLField(_("endpoint"), max_length=500, blank=True)
    access_key_id = models.CharField(_("AccessKey ID"), max_length=100, blank=True)
    access_key_secret = EncryptedCharField(_("AccessKey secret"), max_length=200, blank=True)  # encrypted at rest
    sign_name = models.CharField(_("signature name"), max_length=40, blank=True,
                                 help_text=_("The approved 签名 shown in 【】 before every message."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SMS gateway")
        verbose_name_plural = _("SMS gateways")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_provider_display()})"


# -- finance export: journal vouchers for the accounting software -------------------------------------------------
class VoucherExport(models.Model):
    """One export of journal vouchers (a day or a month) as a file for the accounting software."""

    class Period(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month")

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (xlsx)"
        CSV = "csv", "CSV"

    period = models.CharField(_("period"), max_length=5, choices=Period.choices, default=Period.MONTH)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to (inclusive)"))
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices, default=Format.XLSX)
    include_exported = models.BooleanField(_("include vouchers already exported"), default=False)
    vouchers = models.PositiveIntegerField(_("vouchers"), default=0)
    total_debit = models.DecimalField(_("total debit"), max_digits=16, decimal_places=2, default=0)
    total_credit = models.DecimalField(_("total credit"), max_digits=16, decimal_places=2, default=0)
    filename = models.CharField(_("file name"), max_length=100)
    content = models.BinaryField(_("file"), editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("voucher export")
        verbose_name_plural = _("voucher exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename


class ExportedVoucher(models.Model):
    """A journal entry that left for the accounting software, with the voucher number it got there."""

    entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="exported_voucher",
                                 verbose_name=_("journal entry"))
    export = models.ForeignKey(VoucherExport, on_delete=models.PROTECT, related_name="exported",
                               verbose_name=_("first export"))
    word = models.CharField(_("voucher word"), max_length=4, default="记")
    period = models.CharField(_("accounting period"), max_length=7, help_text=_("YYYY-MM"))
    number = models.PositiveIntegerField(_("voucher number"))

    class Meta:
        verbose_name = _("exported voucher")
        verbose_name_plural = _("exported vouchers")
        ordering = ["period", "number"]
        constraints = [models.UniqueConstraint(fields=["word", "period", "number"],
                                               name="integrations_voucher_period_number_uniq")]

    def __str__(self) -> str:
        return f"{self.period} {self.word}-{self.number}"
