"""Admin of the workflow: review rules, and the order admin with its transition buttons.

The order list and page are `orders.admin.OrderAdmin`; this app registers them with buttons that
follow django-fsm-2's `FSMAdminMixin` (shown only for transitions the user may run in the order's
state, FSM field read-only) but call our services, so every decision is checked, locked and on the
timeline exactly as from the workbench or the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.feedback import report_domain_error
from core.pii import user_can_view_pii
from core.punctuation import labelled
from oms.workflow import services
from oms.workflow.checks import HOLD_REASON_LABELS
from oms.workflow.filters import with_hold_reason
from oms.workflow.forms import AddressForm, CommentForm
from oms.workflow.models import ReviewRule
from oms.workflow.registry import registered_checks
from oms.workflow.rules import describe_params
from oms.workflow.selectors import hold_reason_labels
from orders import services as order_services
from orders.admin import OrderAdmin, ReadOnlyHistoryAdmin
from orders.models import Order, OrderStatus

# -- order transition buttons ----------------------------------------------------------------------


class ReasonForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Reason"), max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                              error_messages={"required": gettext_lazy("A reason is required.")})


@dataclass(frozen=True)
class OrderAction:
    name: str
    label: Any
    transitions: tuple[str, ...]  # FSM transitions behind it; () for a change that is not a transition
    style: str = ""

    def is_available(self, order: Order, user) -> bool:
        if self.name == "approve":
            if order.status != OrderStatus.ON_HOLD:
                return False
        if self.name == "change_address":
            return order.status in ADDRESS_EDITABLE and user.has_perm("orders.change_order")
        available = {t.name for t in order.get_available_user_status_transitions(user)}
        return bool(available.intersection(self.transitions))

    def make_form(self, order: Order, user, data=None):
        if self.name == "change_address":
            return AddressForm(data, order=order, can_view_pii=user_can_view_pii(user))
        if self.name == "cancel":
            return ReasonForm(data)
        return CommentForm(data)

    def run(self, order: Order, user, form) -> Order:
        comment = form.cleaned_data["comment"]
        if self.name == "approve":
            return services.approve_order(order=order, actor=user, comment=comment)
        if self.name == "reject":
            return order_services.order_reject(order=order, actor=user, comment=comment)
        if self.name == "cancel":
            return order_services.order_cancel(order=order, actor=user, reason=comment)
        if self.name == "change_address":
            return order_services.order_change_address(order=order, actor=user, comment=comment, **form.changes)
        raise Http404


ADDRESS_EDITABLE = (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT,
                    OrderStatus.AWAITING_SHIPMENT)
ORDER_ACTIONS = {
    action.name: action for action in [
        OrderAction("approve", gettext_lazy("Approve"), ("await_payment", "await_shipment"), "default"),
        OrderAction("reject", gettext_lazy("Reject"), ("reject",), "danger"),
        OrderAction("cancel", gettext_lazy("Cancel order"), ("cancel",), "danger"),
        OrderAction("change_address", gettext_lazy("Change address"), ()),
    ]
}


class HoldReasonListFilter(admin.SimpleListFilter):
    title = gettext_lazy("hold reason")
    parameter_name = "hold_reason"

    def lookups(self, request, model_admin):
        return list(HOLD_REASON_LABELS.items())

    def queryset(self, request, queryset):
        value = self.value()
        if value not in HOLD_REASON_LABELS:
            return queryset
        return with_hold_reason(queryset.filter(status=OrderStatus.ON_HOLD), value)


@admin.register(Order)
class OrderWorkflowAdmin(OrderAdmin):
    change_form_template = "admin/orders/order/change_form.html"
    list_filter = [*OrderAdmin.list_filter[:1], HoldReasonListFilter, *OrderAdmin.list_filter[1:]]
    history_formatters = {"hold_reasons": hold_reason_labels}

    @admin.display(description=gettext_lazy("hold reasons"))
    def hold_reasons_display(self, obj):
        return hold_reason_labels(obj.hold_reasons) or "—"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [*fieldsets, (gettext_lazy("After intake"), {"fields": ["follow_ups_display"]})]

    @admin.display(description=gettext_lazy("follow-ups"))
    def follow_ups_display(self, obj):
        from oms.workflow.selectors import order_follow_ups

        rows = order_follow_ups(obj)
        if not rows:
            return "—"
        return format_html_join(
            mark_safe("<br>"), "{}：{}{}",
            ((row.kind_label, row.status_label,
              format_html("（{}）", _("tried %(attempts)s times, last error: %(error)s")
                          % {"attempts": row.attempts, "error": row.last_error[:120]})
              if row.last_error and row.status != "done" else "")
             for row in rows))

    def get_urls(self):
        opts = self.model._meta
        return [
            path("<path:object_id>/action/<str:action>/", self.admin_site.admin_view(self.action_view),
                 name=f"{opts.app_label}_{opts.model_name}_action"),
            *super().get_urls(),
        ]

    def available_actions(self, request, order: Order) -> list[OrderAction]:
        return [action for action in ORDER_ACTIONS.values() if action.is_available(order, request.user)]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        buttons = []
        if order is not None:
            for action in self.available_actions(request, order):
                buttons.append({"label": action.label, "style": action.style,
                                "url": reverse("admin:orders_order_action", args=[order.pk, action.name])})
        extra_context = {**(extra_context or {}), "order_actions": buttons}
        return super().change_view(request, object_id, form_url, extra_context)

    def action_view(self, request, object_id, action):
        order = self.get_object(request, object_id)
        spec = ORDER_ACTIONS.get(action)
        if order is None or spec is None:
            raise Http404
        if not self.has_view_or_change_permission(request, order):
            raise PermissionDenied
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        if not spec.is_available(order, request.user):
            self.message_user(request, _("“%(action)s” is not possible for this order now.")
                              % {"action": spec.label}, messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = spec.make_form(order, request.user, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                result = spec.run(order, request.user, form)
            except DomainError as exc:
                report_domain_error(request, exc)
            else:
                self.message_user(request, _("%(action)s: done. The order is now “%(status)s”.") % {
                    "action": spec.label, "status": result.get_status_display()}, messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{spec.label}: {order.number}",
            "opts": self.model._meta,
            "original": order,
            "order": order,
            "action": spec,
            "form": form,
            "change_url": change_url,
            "hold_reasons": hold_reason_labels(order.hold_reasons),
        }
        return TemplateResponse(request, "admin/orders/order/action_form.html", context)


# -- review rules ---------------------------------------------------------------------------------

class ReviewRuleForm(forms.ModelForm):
    code = forms.ChoiceField(label=gettext_lazy("check"))
    params = forms.JSONField(label=gettext_lazy("parameters"), required=False,
                             widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "class": "vLargeTextField"}))

    class Meta:
        model = ReviewRule
        fields = ["code", "name", "enabled", "params", "channels", "approval_role", "position", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        checks = registered_checks()
        if "code" in self.fields:
            self.fields["code"].choices = [(code, f"{code} · {spec.name}") for code, spec in sorted(checks.items())]
        code = self.instance.code if self.instance.pk else None
        if code:
            self.fields["params"].help_text = _("Known parameters and their defaults: %(params)s") % {
                "params": describe_params(code)}
        else:
            lines = [f"{c}: {describe_params(c)}" for c in sorted(checks)]
            self.fields["params"].help_text = _("Known parameters per check: %(params)s") % {
                "params": " | ".join(lines)}


# How the rule page names each parameter a check declares; a parameter not listed shows its key.
PARAM_LABELS = {
    "require_email": gettext_lazy("Require an e-mail address"),
    "min_detail_length": gettext_lazy("Shortest street address accepted (characters)"),
    "blocked_keywords": gettext_lazy("Words that mark a fake address"),
    "threshold": gettext_lazy("Hold orders from this amount (¥)"),
    "window_hours": gettext_lazy("Look for duplicates within (hours)"),
}
PARAM_PREFIX = "param__"
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")


def _is_amount(default) -> bool:
    return isinstance(default, str) and bool(re.fullmatch(r"\d+(\.\d+)?", default))


def param_field(key: str, default, value) -> forms.Field:
    """A typed, labelled form field for one parameter, typed after its default."""
    label = PARAM_LABELS.get(key, key)
    if isinstance(default, bool):
        return forms.BooleanField(label=label, required=False, initial=value)
    if isinstance(default, int):
        return forms.IntegerField(label=label, required=False, min_value=0, initial=value)
    if isinstance(default, float):
        return forms.FloatField(label=label, required=False, min_value=0, initial=value)
    if isinstance(default, list):
        return forms.CharField(label=label, required=False, initial="、".join(value or []),
                               help_text=_("Separate words with 、 or commas."))
    if _is_amount(default):
        return forms.DecimalField(label=label, required=False, min_value=0, decimal_places=2, initial=value)
    return forms.CharField(label=label, required=False, initial=value)


def _param_value(default, value):
    if isinstance(default, list):
        return [word for word in _LIST_SPLIT.split(value or "") if word]
    if _is_amount(default):
        return f"{value:.2f}"
    return value


class ReviewRuleParamsForm(ReviewRuleForm):
    """A rule's parameters as labelled fields of their own (the JSON stays as a hidden fallback)."""

    defaults: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["params"].widget = forms.HiddenInput()
        self.fields["params"].help_text = ""

    def clean(self):
        cleaned = super().clean()
        posted = any(name.startswith(PARAM_PREFIX) for name in self.data)
        if not posted or not self.defaults:
            return cleaned
        params = {}
        for key, default in self.defaults.items():
            name = PARAM_PREFIX + key
            value = cleaned.get(name)
            if value is None or value == "":
                if not isinstance(default, bool | list) and name not in self.errors:
                    self.add_error(name, _("This field is required."))
                if not isinstance(default, bool | list):
                    continue
            params[key] = _param_value(default, value)
        cleaned["params"] = params
        return cleaned


@admin.register(ReviewRule)
class ReviewRuleAdmin(ReadOnlyHistoryAdmin):
    form = ReviewRuleForm
    list_display = ["position", "name", "code", "enabled", "params_display", "approval_role", "channel_list",
                    "updated_at"]
    list_display_links = ["name"]
    list_editable = ["enabled"]
    list_filter = ["enabled", "approval_role"]
    ordering = ["position", "code"]
    search_fields = ["code", "name"]

    # Checkboxes with the channels' names instead of Django's two-box picker ("Choose 渠道 by …").
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "channels":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        spec = registered_checks().get(obj.code) if obj is not None else None
        if spec is not None and spec.default_params:
            current = {**spec.default_params, **(obj.params or {})}
            attrs = {PARAM_PREFIX + key: param_field(key, default, current.get(key))
                     for key, default in spec.default_params.items()}
            attrs["defaults"] = dict(spec.default_params)
            attrs.update(dict.fromkeys(self.get_readonly_fields(request, obj)))  # as ModelAdmin.get_form does
            kwargs["form"] = type("ReviewRuleParamsForm", (ReviewRuleParamsForm,), attrs)
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        params = [f for f in fields if f.startswith(PARAM_PREFIX)]
        rest = [f for f in fields if not f.startswith(PARAM_PREFIX)]
        at = rest.index("params") + 1 if "params" in rest else len(rest)
        return rest[:at] + params + rest[at:]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("channels")

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    @admin.display(description=gettext_lazy("parameters"))
    def params_display(self, obj):
        if not obj.params:
            return "—"
        shown = []
        for key, value in obj.params.items():
            if isinstance(value, list):
                value = "、".join(value)
            elif isinstance(value, bool):
                value = _("yes") if value else _("no")
            shown.append(labelled(PARAM_LABELS.get(key, key), value))
        return "；".join(shown)

    @admin.display(description=gettext_lazy("channels"))
    def channel_list(self, obj):
        names = [c.name for c in obj.channels.all()]
        return "、".join(names) if names else _("all channels")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from oms.workflow.services import review_rules_changed

        review_rules_changed()  # the intake reads rules from a cache; the next order uses the new values

    def has_delete_permission(self, request, obj=None):
        # Deleting a rule would silently run its check with defaults; switch it off instead.
        return False

# Automation rules (issue 19): their admin lives with them.
from oms.workflow.automation import admin as _automation_admin  # noqa: E402, F401
