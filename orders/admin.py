"""Admin of the orders stage: customers, channels, the order timeline, and the order list/page.

Orders are written only by services, so the order page is read-only here; its transition buttons
(approve, reject, cancel, change address) call the workflow's services and are added by
`oms.workflow.admin`, which registers `Order` with them (an upper app may compose a lower one,
not the reverse). Phones and e-mails are masked for users without the PII permission, in lists,
forms and history alike. Lists join what they show and never count the whole table, so they stay
fast at 100k orders.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdminMixin, ReadOnlyInline
from core.fieldcrypto import blind_index_lookups
from core.money import format_cny
from core.phones import normalise_phone
from core.pii import mask_email, mask_phone, phone_search_allowed, user_can_view_pii
from orders.events import actor_label, event_for_viewer, kind_label, timeline_kind_labels
from orders.history import history_entries
from orders.models import Channel, Customer, Order, OrderEvent, OrderLine
from orders.selectors import LIST_DEFERRED, LIST_RELATED, customer_list_with_totals, order_list, order_search


def _phone_search_allowed(model_admin, request) -> bool:
    """Issue 17: without the PII permission phone searches are exact (the whole number) and limited."""
    if phone_search_allowed(request.user):
        return True
    model_admin.message_user(request, _("Too many phone searches; try again in a few minutes, or ask someone "
                                        "allowed to see customers' phones."), messages.ERROR)
    return False

class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history pages, read-only, with changes shown as people read them.

    Reverting to an old version would write around the services (and the protected status), so
    the revert form never saves; phones and e-mails in the diffs are masked without PII permission.
    """

    history_formatters: dict = {}

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)
        entries = history_entries(records, user=request.user, formatters=self.history_formatters)
        for record, entry in zip(records, entries, strict=True):
            record.history_delta_changes = [{"field": c.label, "old": c.old, "new": c.new} for c in entry.changes]


def _masked(getter, masker, label, ordering=None):
    """A list/readonly column showing a PII value, masked unless the viewer may see it."""

    def make(can_view_pii: bool):
        def column(obj):
            value = getter(obj)
            return value if can_view_pii else masker(value)

        column.short_description = label
        if ordering:
            column.admin_order_field = ordering
        return column

    return make


# -- customers ------------------------------------------------------------------------------------

class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "phone", "email", "company_name", "tax_id"]

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone is None:
            raise forms.ValidationError(_("Not a valid mainland mobile or landline number."))
        return phone


@admin.register(Customer)
class CustomerAdmin(ReadOnlyHistoryAdmin):
    form = CustomerForm
    search_fields = ["^name"]  # phone and e-mail: exact, through their blind indexes (get_search_results)
    search_help_text = _("Phone or e-mail (exact) or the beginning of the name.")
    list_filter = [("created_at", admin.DateFieldListFilter)]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-created_at", "-id"]

    def get_list_display(self, request):
        can = user_can_view_pii(request.user)
        return ["name", _masked(lambda c: c.phone, mask_phone, _("phone"))(can),
                _masked(lambda c: c.email, mask_email, _("e-mail"))(can), "company_name", "order_count_display",
                "spend_display", "last_order_display", "created_at"]

    def get_queryset(self, request):
        return customer_list_with_totals()

    @admin.display(description=_("orders"), ordering="order_count")
    def order_count_display(self, obj):
        return obj.order_count

    @admin.display(description=_("spend"), ordering="spend")
    def spend_display(self, obj):
        return format_cny(obj.spend)

    @admin.display(description=_("last order"), ordering="last_order_at")
    def last_order_display(self, obj):
        return obj.last_order_at

    def get_fields(self, request, obj=None):
        if obj is not None and not user_can_view_pii(request.user):
            return ["name", "masked_phone", "masked_email", "company_name", "tax_id"]
        return ["name", "phone", "email", "company_name", "tax_id"]

    def get_readonly_fields(self, request, obj=None):
        return ["masked_phone", "masked_email"] if obj is not None and not user_can_view_pii(request.user) else []

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("e-mail"))
    def masked_email(self, obj):
        return mask_email(obj.email)

    def get_search_results(self, request, queryset, search_term):
        # Phones and e-mails are encrypted: exact search goes through their blind indexes.
        phone = normalise_phone(search_term)
        if phone is not None:
            if not _phone_search_allowed(self, request):
                return queryset.none(), False
            return queryset.filter(phone_index__in=blind_index_lookups("phone", phone)), False
        if "@" in search_term:
            return queryset.filter(email_index__in=blind_index_lookups("email", search_term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None):
        return False  # customers are referenced by orders and their history


# -- channels -------------------------------------------------------------------------------------

@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Codes are what connectors send (API contract); renaming one would orphan them.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from orders.selectors import channels_changed

        super().save_model(request, obj, form, change)
        channels_changed()  # the order intake reads channels from the cache


class TagFilter(admin.SimpleListFilter):
    """Orders carrying a tag (set by a clerk or an automation rule)."""

    title = _("tag")
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        from orders.models import OrderTag

        names = OrderTag.objects.order_by("name").values_list("name", flat=True).distinct()[:50]
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        return queryset.filter(tags__name=self.value()).distinct() if self.value() else queryset


# -- timeline -------------------------------------------------------------------------------------

class EventKindFilter(admin.SimpleListFilter):
    """Kinds by their timeline names (every stage registers its own), without a DISTINCT over the table."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return sorted(timeline_kind_labels().items(), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class EventMessageForViewer:
    """A timeline event's message as the viewer may see it: an address change's phone and street
    whole only with `core.view_customer_pii` (the admin picks `message_whole` or `message_masked`)."""

    @admin.display(description=pgettext_lazy("timeline", "message"))
    def message_masked(self, obj):
        return event_for_viewer(obj, pii=False)[0]

    @admin.display(description=pgettext_lazy("timeline", "message"))
    def message_whole(self, obj):
        return event_for_viewer(obj, pii=True)[0]


@admin.register(OrderEvent)
class OrderEventAdmin(EventMessageForViewer, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The timeline is append-only: written by services, read here."""

    list_display = ["at", "order", "kind_display", "message", "actor_display"]
    list_select_related = ["order"]
    list_filter = [EventKindFilter, ("at", admin.DateFieldListFilter)]
    search_fields = ["=order__number"]
    search_help_text = _("Order number (exact).")
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    # Append-only: newest id is newest event, and the primary key is the index a 100k table needs
    # (ordering by `at` would sort the whole table for every page).
    ordering = ["-id"]
    fields = ["order", "at", "kind", "actor_name", "message", "data"]
    readonly_fields = [*fields, "message_masked", "data_masked", "message_whole", "data_whole"]

    def get_list_display(self, request):
        shown = "message_whole" if user_can_view_pii(request.user) else "message_masked"
        return [shown if name == "message" else name for name in self.list_display]

    def get_fields(self, request, obj=None):
        # Personal values are masked in `data` already; the message (a clerk's comment) may hold a
        # phone, and the encrypted `private` part is laid over both for users allowed to see it.
        suffix = "whole" if user_can_view_pii(request.user) else "masked"
        return [f"{name}_{suffix}" if name in ("message", "data") else name for name in self.fields]


    @admin.display(description=_("data"))
    def data_masked(self, obj):
        return json.dumps(event_for_viewer(obj, pii=False)[1], ensure_ascii=False)

    @admin.display(description=_("data"))
    def data_whole(self, obj):
        return json.dumps(event_for_viewer(obj, pii=True)[1], ensure_ascii=False)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_display(self, obj):
        return kind_label(obj.kind) or obj.kind

    @admin.display(description=_("actor"), ordering="actor_name")
    def actor_display(self, obj):
        return actor_label(obj.actor_name)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        return (queryset.filter(order__number=term), False) if term else (queryset, False)


# -- orders ---------------------------------------------------------------------------------------

class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "name", "quantity", "unit_price_display", "discount_display", "amount_display",
              "quantity_reserved", "quantity_shipped", "quantity_returned"]
    readonly_fields = fields

    @admin.display(description=_("unit price"))
    def unit_price_display(self, obj):
        return format_cny(obj.unit_price)

    @admin.display(description=_("discount"))
    def discount_display(self, obj):
        return format_cny(obj.discount)

    @admin.display(description=_("amount"))
    def amount_display(self, obj):
        return format_cny(obj.amount)


class OrderEventInline(EventMessageForViewer, ReadOnlyInline):
    model = OrderEvent
    verbose_name_plural = _("timeline")
    fields = ["at", "kind_display", "message", "actor_display"]
    readonly_fields = [*fields, "message_masked", "message_whole"]
    ordering = ["at", "id"]

    def get_fields(self, request, obj=None):
        shown = "message_whole" if user_can_view_pii(request.user) else "message_masked"
        return [shown if name == "message" else name for name in self.fields]


    @admin.display(description=_("kind"))
    def kind_display(self, obj):
        return kind_label(obj.kind) or obj.kind

    @admin.display(description=_("actor"))
    def actor_display(self, obj):
        return actor_label(obj.actor_name)


class OrderChangeList(ChangeList):
    """The order list's rows without the encrypted columns none of them shows (see
    `orders.selectors.order_list_rows`); the order page reads the whole order."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer(*LIST_DEFERRED)


class OrderAdmin(ReadOnlyHistoryAdmin):
    """The order list and read-only order page. Registered by `oms.workflow.admin` (with buttons)."""

    list_select_related = LIST_RELATED
    list_filter = ["status", "channel", "payment_status", "source", "priority", "assigned_team", TagFilter,
                   ("ordered_at", admin.DateFieldListFilter)]
    search_fields = ["=number", "=external_id"]  # and the phone, by its blind index: see order_search
    search_help_text = _("Order number, channel order ID or phone (exact).")
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-filter counts would scan 100k orders per click
    list_per_page = 50
    ordering = ["-created_at", "-id"]
    inlines = [OrderLineInline, OrderEventInline]
    money_fields = ["subtotal", "discount_total", "shipping_fee", "total", "paid_amount", "refunded_amount"]

    def get_queryset(self, request):
        return order_list().order_by(*self.ordering)

    def get_changelist(self, request, **kwargs):
        return OrderChangeList

    def get_search_results(self, request, queryset, search_term):
        if normalise_phone(search_term) is not None and not _phone_search_allowed(self, request):
            return queryset.none(), False
        return order_search(queryset, search_term), False

    def get_list_display(self, request):
        can = user_can_view_pii(request.user)
        return ["number", "channel", "external_id", "customer_name",
                _masked(lambda o: o.phone, mask_phone, _("recipient phone"))(can),
                "status", "payment_status", "total_display", "ordered_at", "assigned_to", "order_page"]

    @admin.display(description=_("order page"))
    def order_page(self, obj):
        """The order page of the back office (all three flows), where it is installed."""
        try:
            url = reverse("backoffice:order", args=[obj.number])
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}">{}</a>', url, _("Open"))

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_name(self, obj):
        return obj.customer.name

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, obj):
        return format_cny(obj.total)

    # -- the order page: everything read-only; writes go through the action buttons ---------------
    def get_fieldsets(self, request, obj=None):
        phone = "phone" if user_can_view_pii(request.user) else "masked_phone"
        return [
            (None, {"fields": ["number", "status", "hold_reasons_display", "channel", "external_id", "source",
                               "customer", "assigned_to", "ordered_at", "created_at", "updated_at"]}),
            (_("Shipping address"), {"fields": ["recipient", phone, "province", "city", "district",
                                                "address_detail", "postal_code"]}),
            (_("Funds"), {"fields": ["payment_method", "payment_status",
                                     *[f"{name}_display" for name in self.money_fields]]}),
            (_("Note"), {"fields": ["note"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, opts in self.get_fieldsets(request, obj) for name in opts["fields"]]

    @admin.display(description=_("recipient phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("hold reasons"))
    def hold_reasons_display(self, obj):
        return "、".join(obj.hold_reasons) or "—"

    def has_add_permission(self, request):
        return False  # orders come from channels, the API and the importer

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied  # the page is read-only; actions post to their own views
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False,
                         "show_save_and_add_another": False, "show_delete": False}
        return super().changeform_view(request, object_id, form_url, extra_context)


def _money_display(name):
    def display(self, obj):
        return format_cny(getattr(obj, name))

    display.short_description = Order._meta.get_field(name).verbose_name
    return display


for _name in OrderAdmin.money_fields:
    setattr(OrderAdmin, f"{_name}_display", _money_display(_name))
