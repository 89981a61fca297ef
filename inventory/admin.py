"""Inventory in the admin: set-up (warehouses, bins, province priorities, channel rules) is editable;
levels, lots, reservations and the ledger are read-only (only services write them). Safety stock and
alert thresholds go through `stock_settings_update`."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from core.errors import DomainError
from core.feedback import report_domain_error
from inventory.models import (
    Bin,
    ChannelStockRule,
    Lot,
    Reservation,
    Stock,
    StockMovement,
    Stocktake,
    StocktakeLine,
    Warehouse,
    WarehousePriority,
)
from inventory.selectors import movement_list, stock_list
from inventory.services import stock_settings_update


class BinInline(admin.TabularInline):
    model = Bin
    extra = 1
    fields = ["code", "kind", "active"]


class PriorityInline(admin.TabularInline):
    model = WarehousePriority
    extra = 0
    fields = ["province", "rank"]
    ordering = ["province", "rank"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "province", "region_display", "allocatable", "active"]
    list_filter = ["kind", "allocatable", "active", "province"]
    search_fields = ["code", "name", "wms_code"]
    inlines = [BinInline, PriorityInline]

    def has_delete_permission(self, request, obj=None):
        return False  # warehouses with history are deactivated, not deleted

    @admin.display(description=_("region"))
    def region_display(self, obj):
        return obj.region_name


@admin.register(WarehousePriority)
class WarehousePriorityAdmin(admin.ModelAdmin):
    """The province → warehouse table the allocation uses: rank 1 is tried first."""

    list_display = ["province", "warehouse", "rank"]
    list_editable = ["rank"]
    list_filter = ["province", "warehouse"]
    list_select_related = ["warehouse"]
    ordering = ["province", "rank"]


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = ["product", "warehouse", "on_hand", "reserved", "safety_stock", "available_display",
                    "quarantined", "low_stock_threshold", "low_display"]
    list_filter = ["warehouse"]
    search_fields = ["product__sku", "product__name", "product__barcode"]
    fields = ["product", "warehouse", "on_hand", "reserved", "quarantined", "safety_stock", "low_stock_threshold",
              "updated_at"]
    readonly_fields = ["product", "warehouse", "on_hand", "reserved", "quarantined", "updated_at"]

    def get_queryset(self, request):
        return stock_list()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("available"), ordering="available_qty")
    def available_display(self, obj):
        return obj.available_qty

    @admin.display(description=_("low stock"), boolean=True, ordering="low")
    def low_display(self, obj):
        return obj.low

    def save_model(self, request, obj, form, change):
        try:
            stock_settings_update(stock=obj, safety_stock=obj.safety_stock,
                                  low_stock_threshold=obj.low_stock_threshold, actor=request.user)
        except DomainError as exc:
            report_domain_error(request, exc)


@admin.register(Lot)
class LotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["batch_number", "stock", "bin", "received_at", "expiry_date", "quantity", "reserved",
                    "quarantined"]
    list_filter = ["quarantined", "stock__warehouse"]
    search_fields = ["batch_number", "stock__product__sku"]
    list_select_related = ["stock__warehouse", "stock__product", "bin__warehouse"]
    date_hierarchy = "received_at"


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "order_line", "stock", "lot", "quantity", "quantity_issued", "created_at"]
    search_fields = ["order__number", "order_line__sku"]
    list_select_related = ["order", "order_line", "stock__warehouse", "stock__product", "lot"]
    raw_id_fields = ["order", "order_line"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The append-only stock ledger."""

    list_display = ["at", "kind", "stock", "lot", "on_hand_delta", "reserved_delta", "quarantined_delta",
                    "reference", "order", "reason", "actor_name"]
    list_filter = ["kind", "stock__warehouse"]
    search_fields = ["reference", "stock__product__sku", "order__number", "lot__batch_number"]
    date_hierarchy = "at"
    show_full_result_count = False

    def get_queryset(self, request):
        return movement_list()


@admin.register(ChannelStockRule)
class ChannelStockRuleAdmin(admin.ModelAdmin):
    """Available-to-promise per channel: the share (and cap) of available stock a channel is shown."""

    list_display = ["channel", "warehouse", "share_percent", "cap"]
    list_filter = ["channel"]
    list_select_related = ["channel", "warehouse"]


class StocktakeLineInline(admin.TabularInline):
    model = StocktakeLine
    fields = ["product", "system_quantity", "counted", "difference"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("difference"))
    def difference(self, obj):
        return obj.difference

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Stocktake)
class StocktakeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "warehouse", "applied_at", "actor_name", "note"]
    list_filter = ["warehouse"]
    search_fields = ["number"]
    inlines = [StocktakeLineInline]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("inventory.view_stocktake")
