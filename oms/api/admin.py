"""API tokens in the admin: create (the raw token is shown once), change scopes/channel, revoke."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from oms.api.models import ApiToken, OrderSubmission
from oms.api.scopes import DEFAULT_SCOPES, Scope
from oms.api.services import api_token_create, api_token_revoke, api_token_update
from orders.admin import ReadOnlyHistoryAdmin


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=Scope.choices, initial=list(DEFAULT_SCOPES),
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text=_("pii:read shows unmasked phones and e-mails; grant it sparingly."))

    class Meta:
        model = ApiToken
        fields = ["name", "scopes", "channel"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyHistoryAdmin):
    form = ApiTokenForm
    list_display = ["name", "prefix", "scope_list", "channel", "active", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["active", "channel"]
    search_fields = ["name", "prefix"]
    list_select_related = ["channel"]
    actions = ["revoke_tokens"]

    def get_readonly_fields(self, request, obj=None):
        common = ["prefix", "active", "created_by", "created_at", "last_used_at", "revoked_at", "revoked_by"]
        return ["name", *common] if obj else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scopes", "channel"]
        return ["name", "prefix", "scopes", "channel", "active", "created_by", "created_at", "last_used_at",
                "revoked_at", "revoked_by"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return ", ".join(obj.scopes or [])

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            api_token_update(token=obj, actor=request.user, scopes=data["scopes"], channel=data["channel"])
            return
        token, raw = api_token_create(name=data["name"], scopes=data["scopes"], channel=data["channel"],
                                      actor=request.user)
        # The admin goes on with `obj` (redirects, log entry): make it the saved token.
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding, obj._state.db = False, token._state.db
        messages.warning(request, _("Token for “%(name)s”: %(token)s — copy it now, it is not stored and will not "
                                    "be shown again.") % {"name": token.name, "token": raw})

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        count = 0
        for token in queryset.filter(active=True).order_by("pk"):
            api_token_revoke(token=token, actor=request.user)
            count += 1
        self.message_user(request, ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", count)
                          % {"count": count}, messages.SUCCESS)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the timeline names tokens, submissions point to them


@admin.register(OrderSubmission)
class OrderSubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "token", "idempotency_key", "created_at"]
    list_select_related = ["order", "token"]
    search_fields = ["order__number", "idempotency_key"]
    raw_id_fields = ["order"]
    readonly_fields = ["order", "token", "idempotency_key", "request_hash", "created_at"]

