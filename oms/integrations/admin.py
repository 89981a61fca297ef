import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from core.pii import mask_pii_in, user_can_view_pii
from oms.env import MIN_SECRET_LENGTH, weak_secret
from oms.integrations import inbox
from oms.integrations.models import InboundAttempt, InboundEvent, WebhookSender
from orders.admin import ReadOnlyHistoryAdmin


class WebhookSenderForm(forms.ModelForm):
    secret = forms.CharField(label=_("secret"), required=False, widget=forms.PasswordInput(render_value=False),
                             help_text=_("Leave empty to keep the current secret (or to use OMS_WEBHOOK_SECRET)."))
    clear_secret = forms.BooleanField(label=_("use the default secret"), required=False)

    class Meta:
        model = WebhookSender
        fields = ["kind", "code", "name", "secret", "clear_secret", "active"]

    def clean_secret(self):
        secret = self.cleaned_data.get("secret") or ""
        if not secret:
            return secret
        if weak_secret(secret) or secret == settings.OMS_WEBHOOK_SECRET:
            raise forms.ValidationError(_("Use a random secret of at least %(n)d characters, not a default or "
                                          "the shared secret.") % {"n": MIN_SECRET_LENGTH})
        if WebhookSender.objects.filter(secret=secret).exclude(pk=self.instance.pk).exists():
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
    search_fields = ["event_id", "body"]
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


class OutboundEndpointForm(forms.ModelForm):
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
        data = super().clean()
        if data.get("clear_secret"):
            data["secret"] = ""
        elif not data.get("secret") and self.instance.pk:
            data["secret"] = self.instance.secret
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
