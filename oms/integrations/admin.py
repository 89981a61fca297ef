import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from core.feedback import report_domain_error
from core.fieldcrypto import blind_index_lookups
from core.pii import mask_pii_in, user_can_view_pii
from core.punctuation import labelled
from oms.env import MIN_SECRET_LENGTH, weak_secret
from oms.integrations import inbox
from oms.integrations.models import InboundAttempt, InboundEvent, WebhookSender
from orders.admin import ReadOnlyHistoryAdmin


def masked(secret: str) -> str:
    """What the admin shows of a stored secret: that there is one, and its last four characters."""
    if not secret:
        return "—"
    return "••••••" + secret[-4:] if len(secret) > 8 else "••••••"


class WebhookSenderForm(forms.ModelForm):
    secret = forms.CharField(label=_("secret"), required=False, widget=forms.PasswordInput(render_value=False),
                             help_text=_("Leave empty to keep the current secret (or, in development, to use the "
                                         "one derived from OMS_WEBHOOK_SECRET)."))
    clear_secret = forms.BooleanField(label=_("use the default secret"), required=False)

    class Meta:
        model = WebhookSender
        fields = ["kind", "code", "name", "secret", "clear_secret", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.secret:  # write-only: say that there is one, never what it is
            self.fields["secret"].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                "masked": masked(self.instance.secret)}

    def clean_secret(self):
        secret = self.cleaned_data.get("secret") or ""
        if not secret:
            return secret
        if weak_secret(secret) or secret == settings.OMS_WEBHOOK_SECRET:
            raise forms.ValidationError(_("Use a random secret of at least %(n)d characters, not a default or "
                                          "the shared secret.") % {"n": MIN_SECRET_LENGTH})
        taken = WebhookSender.objects.filter(secret_index__in=blind_index_lookups("secret", secret))
        if taken.exclude(pk=self.instance.pk).exists():
            # One secret per sender: that is what makes a signature name its sender.
            raise forms.ValidationError(_("Another sender already uses this secret; each sender needs its own."))
        return secret

    def clean(self):
        data = super().clean()
        if data.get("clear_secret"):
            data["secret"] = ""
        elif not data.get("secret") and self.instance.pk:
            data["secret"] = self.instance.secret
        return data


@admin.register(WebhookSender)
class WebhookSenderAdmin(ReadOnlyHistoryAdmin):
    form = WebhookSenderForm
    list_display = ["kind", "code", "name", "active", "has_own_secret"]
    list_filter = ["kind", "active"]

    @admin.display(boolean=True, description=_("own secret"))
    def has_own_secret(self, obj):
        return bool(obj.secret)


class InboundAttemptInline(admin.TabularInline):
    model = InboundAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "finished_at", "succeeded", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "kind", "sender", "event_id", "status", "attempts", "next_attempt_at"]
    list_filter = ["kind", "status", "sender"]
    # The body is encrypted at rest (it carries recipients' phones and addresses): no substring search in it.
    search_fields = ["event_id", "=money_key"]
    date_hierarchy = "received_at"
    inlines = [InboundAttemptInline]
    actions = ["retry"]
    readonly_fields = ["kind", "sender", "event_id", "payload", "body", "signed_at", "received_at", "status",
                       "attempts", "last_error", "next_attempt_at", "processed_at"]

    @admin.action(description=_("Process again now"), permissions=["retry"])
    def retry(self, request, queryset):
        done = 0
        for event in queryset.order_by("pk"):
            done += inbox.retry_now(event=event).status == "processed"
        self.message_user(request, ngettext("%(n)d event processed.", "%(n)d events processed.", done) % {"n": done},
                          messages.SUCCESS if done == queryset.count() else messages.WARNING)

    def has_retry_permission(self, request):
        return request.user.has_perm("integrations.retry_inboundevent")


# -- outbox ---------------------------------------------------------------------------------------------------
from oms.integrations import outbox  # noqa: E402
from oms.integrations.models import OutboundEndpoint, OutboxAttempt, OutboxMessage, OutboxStatus  # noqa: E402


class SecretKeepingForm(forms.ModelForm):
    """Secret fields are write-only: an empty input keeps the stored value, which is never sent back."""

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False)
            field.required = False
            if self.instance.pk and getattr(self.instance, name):
                field.help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                    "masked": masked(getattr(self.instance, name))}

    def clean(self):
        data = super().clean()
        for name in self.secret_fields:
            if not data.get(name) and self.instance.pk:
                data[name] = getattr(self.instance, name)
        return data


class OutboundEndpointForm(SecretKeepingForm):
    secret_fields = ("secret",)
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(label=_("secret"), required=False, widget=forms.PasswordInput(render_value=False),
                             help_text=_("Leave empty to keep the current secret (or to use OMS_WEBHOOK_SECRET)."))
    clear_secret = forms.BooleanField(label=_("use the default secret"), required=False)

    class Meta:
        model = OutboundEndpoint
        fields = ["kind", "code", "name", "url", "secret", "clear_secret", "timeout_seconds", "active"]

    def clean_secret(self):
        secret = self.cleaned_data.get("secret") or ""
        if not secret:
            return secret
        if weak_secret(secret) or secret == settings.OMS_WEBHOOK_SECRET:
            raise forms.ValidationError(_("Use a random secret of at least %(n)d characters, not a default or "
                                          "the shared secret.") % {"n": MIN_SECRET_LENGTH})
        return secret

    def clean(self):
        data = super().clean()  # an empty input kept the stored secret
        if data.get("clear_secret"):
            data["secret"] = ""
        return data


@admin.register(OutboundEndpoint)
class OutboundEndpointAdmin(ReadOnlyHistoryAdmin):
    form = OutboundEndpointForm
    list_display = ["kind", "code", "name", "url", "active", "has_own_secret"]
    list_filter = ["kind", "active"]

    @admin.display(boolean=True, description=_("own secret"))
    def has_own_secret(self, obj):
        return bool(obj.secret)


class OutboxAttemptInline(admin.TabularInline):
    model = OutboxAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "finished_at", "url", "status_code", "succeeded", "error", "response"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "destination", "topic", "order_number", "message_id", "status",
                    "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["kind", "status", "destination", "topic"]
    search_fields = ["=message_id", "=order_number", "=key"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [OutboxAttemptInline]
    actions = ["send_again"]
    readonly_fields = ["kind", "destination", "topic", "message_id", "key", "order_number", "payload", "status",
                       "attempts", "next_attempt_at", "lease_until", "last_error", "created_at", "delivered_at"]

    @admin.action(description=_("Send again now"), permissions=["retry"])
    def send_again(self, request, queryset):
        sent = 0
        for message in queryset.exclude(status=OutboxStatus.DELIVERED).order_by("pk"):
            sent += outbox.retry_now(message=message).status == OutboxStatus.DELIVERED
        self.message_user(request, ngettext("%(n)d message delivered.", "%(n)d messages delivered.", sent)
                          % {"n": sent}, messages.SUCCESS if sent else messages.WARNING)

    def has_retry_permission(self, request):
        return request.user.has_perm("integrations.retry_outboxmessage")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if user_can_view_pii(request.user):
            return fields
        return ["masked_payload" if name == "payload" else name for name in fields]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("payload"))
    def masked_payload(self, obj):
        """Shipping instructions carry the recipient's phone: masked without the PII permission."""
        return format_html("<pre>{}</pre>", json.dumps(mask_pii_in(obj.payload), ensure_ascii=False, indent=2))


# -- channel connectors -----------------------------------------------------------------------------------------
from oms.integrations.connectors import pushback, sync  # noqa: E402
from oms.integrations.connectors.base import PlatformError, adapter_choices  # noqa: E402
from oms.integrations.models import ChannelConnector, PlatformOrderLink, SyncItem, SyncRun, SyncStatus  # noqa: E402


class ChannelConnectorForm(SecretKeepingForm):
    secret_fields = ("app_secret", "access_token")
    platform = forms.ChoiceField(label=_("platform"), choices=adapter_choices)
    base_url = forms.URLField(label=_("API base URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = ChannelConnector
        fields = ["channel", "code", "name", "platform", "base_url", "app_key", "app_secret", "access_token", "shop_id",
                  "page_size", "overlap_seconds", "max_window_hours", "requests_per_second", "max_retries",
                  "initial_since", "push_stock", "push_tracking", "settings", "active"]


@admin.register(ChannelConnector)
class ChannelConnectorAdmin(admin.ModelAdmin):
    form = ChannelConnectorForm
    list_display = ["code", "name", "channel", "platform", "active", "cursor", "last_run"]
    list_filter = ["platform", "active", "channel"]
    readonly_fields = ["cursor"]
    actions = ["pull_now", "push_stock_now"]

    @admin.display(description=_("last run"))
    def last_run(self, obj):
        run = obj.runs.order_by("-started_at", "-id").first()
        return f"{run.get_status_display()} · {timezone_local(run.started_at)}" if run else "—"

    @admin.action(description=_("Pull orders now"), permissions=["run"])
    def pull_now(self, request, queryset):
        for connector in queryset.filter(active=True):
            try:
                run = sync.connector_pull(connector=connector)
            except PlatformError as failure:  # the platform's own words, not a domain error of ours
                self.message_user(request, labelled(str(connector), failure.message), messages.ERROR)
                continue
            self.message_user(request, run_summary(run), messages.SUCCESS if run.status == SyncStatus.SUCCEEDED
                              else messages.WARNING)

    @admin.action(description=_("Push stock levels now"), permissions=["run"])
    def push_stock_now(self, request, queryset):
        for connector in queryset.filter(active=True):
            result = pushback.connector_push_stock(connector=connector)
            level = messages.SUCCESS if not result.failed else messages.WARNING
            self.message_user(request, _("%(connector)s: %(pushed)d SKUs pushed, %(failed)d failed. %(errors)s") % {
                "connector": connector, "pushed": result.pushed, "failed": len(result.failed),
                "errors": "；".join(f"{sku}: {error}" for sku, error in list(result.failed.items())[:5])}, level)

    def has_run_permission(self, request):
        return request.user.has_perm("integrations.run_channelconnector")


def timezone_local(value):
    from django.utils import timezone as tz

    return tz.localtime(value).strftime("%Y-%m-%d %H:%M")


def run_summary(run: SyncRun) -> str:
    text = _("%(connector)s: fetched %(fetched)d, created %(created)d, updated %(updated)d, skipped %(skipped)d, "
             "failed %(failed)d.") % {"connector": run.connector, "fetched": run.fetched, "created": run.created,
                                      "updated": run.updated, "skipped": run.skipped, "failed": run.failed}
    return f"{text} {run.error}" if run.error else text


class SyncItemInline(admin.TabularInline):
    model = SyncItem
    extra = 0
    can_delete = False
    fields = ["external_id", "order_number", "outcome", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "connector", "window_from", "window_to", "status", "fetched", "created", "updated",
                    "skipped", "failed", "pages", "throttled"]
    list_filter = ["connector", "status"]
    date_hierarchy = "started_at"
    inlines = [SyncItemInline]
    actions = ["retry"]
    readonly_fields = ["connector", "retry_of", "window_from", "window_to", "status", "started_at", "finished_at",
                       "pages", "requests", "throttled", "fetched", "created", "updated", "skipped", "failed", "error"]

    @admin.action(description=_("Pull this window again"), permissions=["retry"])
    def retry(self, request, queryset):
        for run in queryset.select_related("connector").order_by("pk"):
            try:
                again = sync.connector_retry_run(run=run)
            except PlatformError as failure:  # the platform's own words, not a domain error of ours
                self.message_user(request, labelled(str(run.connector), failure.message), messages.ERROR)
                continue
            self.message_user(request, run_summary(again), messages.SUCCESS if again.status == SyncStatus.SUCCEEDED
                              else messages.WARNING)

    def has_retry_permission(self, request):
        return request.user.has_perm("integrations.run_channelconnector")


@admin.register(PlatformOrderLink)
class PlatformOrderLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["external_id", "connector", "order", "platform_status", "platform_updated_at", "pulled_at"]
    list_filter = ["connector", "platform_status"]
    search_fields = ["=external_id", "=order__number"]
    list_select_related = ["connector", "order"]
    show_full_result_count = False
    readonly_fields = ["connector", "external_id", "order", "platform_status", "platform_updated_at", "content_hash",
                       "snapshot", "pulled_at"]


# -- outbound webhooks ------------------------------------------------------------------------------------------
from oms.integrations import webhooks  # noqa: E402
from oms.integrations.models import (  # noqa: E402
    DeadLetter,
    WebhookDelivery,
    WebhookEvent,
    WebhookKind,
    WebhookSubscription,
)


class WebhookSubscriptionForm(SecretKeepingForm):
    secret_fields = ("secret",)
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("events"), choices=WebhookEvent.choices,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "secret", "events", "channels", "min_total", "version", "timeout_seconds", "active"]

    def clean(self):
        data = super().clean()
        if not data.get("secret"):
            self.add_error("secret", _("A new subscription needs a secret."))
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["name", "url", "event_list", "active", "paused_at", "consecutive_failures"]
    list_filter = ["active"]
    readonly_fields = ["paused_at", "paused_reason", "consecutive_failures"]
    filter_horizontal = ["channels"]
    actions = ["resume"]

    @admin.display(description=_("events"))
    def event_list(self, obj):
        labels = dict(WebhookEvent.choices)
        return "、".join(str(labels.get(e, e)) for e in obj.events or [])

    @admin.action(description=_("Resume and send what waited"))
    def resume(self, request, queryset):
        for subscription in queryset:
            waiting = webhooks.subscription_resume(subscription=subscription)
            self.message_user(request, _("%(name)s resumed; %(n)d messages will be sent now.") % {
                "name": subscription, "n": waiting}, messages.SUCCESS)


class DeliveryAttemptInline(OutboxAttemptInline):
    fields = ["started_at", "duration_ms", "status_code", "succeeded", "error", "request", "response"]
    readonly_fields = fields


class _WebhookOutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "subscription", "topic", "order_number", "status", "attempts", "next_attempt_at",
                    "delivered_at"]
    list_filter = ["topic", "status"]
    search_fields = ["=message_id", "=order_number", "=key"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [DeliveryAttemptInline]
    actions = ["replay"]
    readonly_fields = ["destination", "topic", "message_id", "key", "order_number", "payload", "status", "attempts",
                       "next_attempt_at", "last_error", "created_at", "delivered_at"]

    @admin.display(description=_("subscription"))
    def subscription(self, obj):
        names = getattr(self, "_names", None)
        if names is None:
            names = self._names = {str(pk): name for pk, name in WebhookSubscription.objects.values_list("pk", "name")}
        return names.get(obj.destination, obj.destination)

    def changelist_view(self, request, extra_context=None):
        self._names = None
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Replay now"), permissions=["replay"])
    def replay(self, request, queryset):
        chosen = list(queryset.exclude(status=OutboxStatus.DELIVERED))
        delivered = webhooks.replay(messages=chosen)
        self.message_user(request, _("%(delivered)d of %(n)d messages delivered; the others are retried later.")
                          % {"delivered": delivered, "n": len(chosen)},
                          messages.SUCCESS if delivered == len(chosen) else messages.WARNING)

    def has_replay_permission(self, request):
        return request.user.has_perm("integrations.replay_webhookdelivery")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_WebhookOutboxAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=WebhookKind.WEBHOOK)


@admin.register(DeadLetter)
class DeadLetterAdmin(_WebhookOutboxAdmin):
    list_display = ["created_at", "kind", "subscription", "topic", "order_number", "attempts", "last_error"]
    list_filter = ["kind", "topic"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=OutboxStatus.DEAD)


# -- CRM and SMS ------------------------------------------------------------------------------------------------
from oms.integrations.models import CrmEndpoint, SmsGateway  # noqa: E402


class CrmEndpointForm(SecretKeepingForm):
    secret_fields = ("token", "secret")
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = CrmEndpoint
        fields = ["code", "name", "url", "method", "token", "secret", "field_map", "value_map", "static_fields",
                  "timeout_seconds", "active"]


@admin.register(CrmEndpoint)
class CrmEndpointAdmin(admin.ModelAdmin):
    form = CrmEndpointForm
    list_display = ["code", "name", "url", "method", "active"]
    list_filter = ["active"]


class SmsGatewayForm(SecretKeepingForm):
    secret_fields = ("access_key_secret",)
    endpoint = forms.URLField(label=_("endpoint"), max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = SmsGateway
        fields = ["code", "provider", "endpoint", "access_key_id", "access_key_secret", "sign_name", "active"]


@admin.register(SmsGateway)
class SmsGatewayAdmin(admin.ModelAdmin):
    form = SmsGatewayForm
    list_display = ["code", "provider", "endpoint", "sign_name", "active"]
    list_filter = ["provider", "active"]


# -- finance export ---------------------------------------------------------------------------------------------
from django.http import HttpResponse  # noqa: E402
from django.urls import path, reverse  # noqa: E402

from core.errors import DomainError  # noqa: E402
from oms.integrations.finance_export import voucher_export_create  # noqa: E402
from oms.integrations.models import VoucherExport  # noqa: E402


class VoucherExportForm(forms.ModelForm):
    day = forms.DateField(label=_("day or any day of the month"), widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = VoucherExport
        fields = ["period", "day", "file_format", "include_exported"]


@admin.register(VoucherExport)
class VoucherExportAdmin(admin.ModelAdmin):
    form = VoucherExportForm
    list_display = ["created_at", "period", "date_from", "date_to", "vouchers", "debit", "credit", "download"]
    list_filter = ["period", "file_format"]
    readonly_fields = ["date_from", "date_to", "vouchers", "total_debit", "total_credit", "filename", "created_by",
                       "created_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["period", "day", "file_format", "include_exported"]
        return ["period", "date_from", "date_to", "file_format", "include_exported", "vouchers", "total_debit",
                "total_credit", "filename", "created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("total debit"))
    def debit(self, obj):
        return f"¥{obj.total_debit:,.2f}"

    @admin.display(description=_("total credit"))
    def credit(self, obj):
        return f"¥{obj.total_credit:,.2f}"

    @admin.display(description=_("file"))
    def download(self, obj):
        url = reverse("admin:integrations_voucherexport_download", args=[obj.pk])
        return format_html('<a href="{}" title="{}">{}</a>', url, obj.filename, _("Download"))

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="integrations_voucherexport_download"), *super().get_urls()]

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        export = VoucherExport.objects.get(pk=pk)
        content_type = ("text/csv; charset=utf-8" if export.file_format == "csv" else
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response = HttpResponse(bytes(export.content), content_type=content_type)
        from urllib.parse import quote

        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(export.filename)}"
        return response

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            export = voucher_export_create(period=data["period"], day=data["day"], file_format=data["file_format"],
                                           include_exported=data["include_exported"], actor=request.user)
        except DomainError as exc:
            report_domain_error(request, exc)
            return
        obj.pk, obj.filename = export.pk, export.filename
        self.message_user(request, _("%(n)d vouchers exported, debit ¥%(debit)s = credit ¥%(credit)s.") % {
            "n": export.vouchers, "debit": f"{export.total_debit:,.2f}", "credit": f"{export.total_credit:,.2f}"},
            messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        pass

    def response_add(self, request, obj, post_url_continue=None):
        from django.shortcuts import redirect

        return redirect("admin:integrations_voucherexport_changelist")

    def log_addition(self, request, obj, message):
        if obj.pk:
            super().log_addition(request, VoucherExport.objects.get(pk=obj.pk), message)
