from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from catalog.models import Category, Product
from core.money import format_cny


class ConfigurationHistoryAdmin(SimpleHistoryAdmin):
    """Price and product changes with before/after values; the history is read-only (no revert)."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Product)
class ProductAdmin(ConfigurationHistoryAdmin):
    list_display = ["sku", "name", "category", "price_display", "tax_rate_display", "weight_kg", "barcode", "needs_qc",
                    "active"]
    list_display_links = ["sku", "name"]
    list_select_related = ["category__parent"]
    list_filter = ["active", ("category", admin.RelatedOnlyFieldListFilter), "needs_qc", "tax_rate"]
    search_fields = ["=sku", "=barcode", "name"]
    search_help_text = _("SKU or barcode (exact), or part of the name.")
    list_per_page = 50
    show_full_result_count = False
    ordering = ["sku"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["sku", "name", "category", "active"]}),
        (_("Price and tax"), {"fields": ["price", "tax_rate", "standard_cost"]}),
        (_("Logistics"), {"fields": ["weight_kg", "barcode", "needs_qc"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, obj):
        return format_cny(obj.price)

    @admin.display(description=_("tax rate"), ordering="tax_rate")
    def tax_rate_display(self, obj):
        percent = f"{(obj.tax_rate * 100).quantize(Decimal('0.1')):f}".rstrip("0").rstrip(".")
        return f"{percent}%"

    def get_readonly_fields(self, request, obj=None):
        # Orders keep a snapshot of the SKU; renaming it would break imports and channel mappings.
        return [*self.readonly_fields, "sku"] if obj is not None else self.readonly_fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        exact = queryset.filter(sku=term.upper()) | queryset.filter(barcode=term)
        if term and exact.exists():
            return exact, False
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None):
        return False  # order lines point to products; untick “active” to stop selling one


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "position"]
    list_display_links = ["code", "name"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent__parent"]
    search_fields = ["code", "name"]
    ordering = ["position", "code"]

    def has_delete_permission(self, request, obj=None):
        # Products point to their category (PROTECT); an empty leaf may go.
        if obj is not None and (obj.products.exists() or obj.children.exists()):
            return False
        return super().has_delete_permission(request, obj)
