"""Admin of the logistics stage: shipments, waves and tracking are written by services only.

The pages are read-only; the actions call the services (hand over to the carrier, print labels)
and show refusals as messages. Warehouse work happens on the warehouse screens (`logistics.urls`).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.admin import ReadOnlyAdminMixin
from core.errors import DocumentNotAvailable, DomainError
from core.feedback import report_domain_error
from core.money import format_cny
from logistics import documents, selectors, services
from logistics.models import PickWave, Shipment, ShipmentLine, TrackingEvent
from logistics.views import pdf_response


class ShipmentLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ShipmentLine
    fields = ["sku", "name", "quantity", "quantity_packed", "quantity_shipped"]
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("SKU"))
    def sku(self, obj):
        return obj.order_line.sku

    @admin.display(description=_("name"))
    def name(self, obj):
        return obj.order_line.name

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")


class TrackingEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TrackingEvent
    fields = ["occurred_at", "status", "location", "description", "source", "received_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "order_link", "warehouse", "carrier", "tracking_number", "status", "units",
                    "cod", "created_at", "shipped_at"]
    list_filter = ["status", "carrier", "warehouse"]
    search_fields = ["=number", "=order__number", "=tracking_number", "=order__external_id"]
    list_select_related = ["order", "warehouse"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [ShipmentLineInline, TrackingEventInline]
    actions = ["print_labels", "hand_over"]
    readonly_fields = ["number", "order_link", "warehouse", "carrier", "tracking_number", "status", "weight_kg",
                       "packages", "cod", "wave", "exception_reason", "created_at", "picking_at", "packed_at",
                       "shipped_at", "delivered_at", "last_tracking_at", "label_printed_at"]
    fields = readonly_fields

    def get_queryset(self, request):
        return selectors.shipment_list()

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("logistics.view_shipment")

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]),
                           obj.order.number) if _has_order_admin() else obj.order.number

    @admin.display(description=_("units"))
    def units(self, obj):
        return getattr(obj, "units", None)

    @admin.display(description=pgettext_lazy("amount to collect", "cash on delivery"), ordering="cod_amount")
    def cod(self, obj):
        return format_cny(obj.cod_amount) if obj.cod_amount else "—"

    @admin.action(description=_("Print labels of the selected shipments"), permissions=["view"])
    def print_labels(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        try:
            pdf = documents.labels_pdf(shipments=selectors.shipments_with_lines(ids))
        except DocumentNotAvailable:
            self.message_user(request, _("None of the selected shipments has a waybill number yet."), messages.ERROR)
            return None
        except DomainError as exc:  # e.g. PDFs unavailable on this server: say why
            report_domain_error(request, exc)
            return None
        services.labels_mark_printed(shipment_ids=ids, actor=request.user)
        return pdf_response(pdf, "labels.pdf")

    @admin.action(description=_("Hand the selected shipments over to the carrier"), permissions=["ship"])
    def hand_over(self, request, queryset):
        for shipment in queryset.order_by("pk"):
            try:
                services.shipment_ship(shipment=shipment, actor=request.user)
            except DomainError as exc:
                report_domain_error(request, exc, subject=shipment.number)
            else:
                self.message_user(request, _("%(number)s handed over.") % {"number": shipment.number},
                                  messages.SUCCESS)

    def has_ship_permission(self, request):
        return request.user.has_perm("logistics.ship_shipment")


def _has_order_admin() -> bool:
    from orders.models import Order

    return admin.site.is_registered(Order)


@admin.register(PickWave)
class PickWaveAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "warehouse", "carrier", "cutoff", "shipment_count", "created_by", "created_at"]
    list_filter = ["warehouse", "carrier"]
    search_fields = ["=number"]
    readonly_fields = ["number", "warehouse", "carrier", "cutoff", "created_by", "created_at"]

    def get_queryset(self, request):
        return selectors.wave_list()

    @admin.display(description=_("shipments"))
    def shipment_count(self, obj):
        return obj.shipment_count


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["shipment", "status", "occurred_at", "location", "description", "source", "received_at"]
    list_filter = ["status"]
    search_fields = ["=shipment__number", "=shipment__tracking_number"]
    list_select_related = ["shipment"]
    show_full_result_count = False
