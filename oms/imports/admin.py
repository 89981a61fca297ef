"""Admin: import history, and import/export buttons on the product, customer and order lists.

The catalog and orders apps own their ModelAdmins and sit below this app, so they cannot import
our resources. Instead this module (loaded after theirs, `oms.imports` comes later in
INSTALLED_APPS) re-registers each of those models with a subclass of *its registered admin* that
adds django-import-export's buttons — every list filter, search, action and template of the
original stays. Exports honour the list's current filters and search (django-import-export builds
the export queryset from the changelist).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportMixin

from catalog.models import Product
from oms.imports.models import ImportBatch, ImportedOrder
from oms.imports.resources import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    CustomerResource,
    OrderExportResource,
    ProductResource,
)
from orders.models import Customer, Order


class _SafeExportOptions:
    export_formats = EXPORT_FORMATS
    to_encoding = "utf-8-sig"  # Excel on Chinese Windows needs the BOM to read UTF-8 CSV

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_export_queryset(self, request):
        queryset = super().get_export_queryset(request)
        related = [f.name for f in self.model._meta.concrete_fields if f.is_relation]
        return queryset.select_related(*related) if related else queryset


class _ImportOptions(_SafeExportOptions):
    import_formats = IMPORT_FORMATS

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}


def _extend_registered(model, mixins: tuple, **attrs) -> type:
    """Register `model` again with its current admin class plus `mixins` (ModelAdmin if it had none)."""
    base = type(admin.site._registry[model]) if admin.site.is_registered(model) else admin.ModelAdmin
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    name = f"{model.__name__}ImportExportAdmin"
    admin_class = type(name, (*mixins, base), {"__module__": __name__, **attrs})
    admin.site.register(model, admin_class)
    return admin_class


ProductImportExportAdmin = _extend_registered(
    Product, (_ImportOptions, ImportExportMixin), resource_classes=[ProductResource])
CustomerImportExportAdmin = _extend_registered(
    Customer, (_ImportOptions, ImportExportMixin), resource_classes=[CustomerResource],
    **({} if admin.site.is_registered(Customer) else {"list_display": ["name", "phone", "created_at"],
                                                        "search_fields": ["name"]}))
OrderExportAdmin = _extend_registered(
    Order, (_SafeExportOptions, ExportMixin), resource_classes=[OrderExportResource],
    **({} if admin.site.is_registered(Order) else {
        "list_display": ["number", "channel", "external_id", "status", "total", "source", "created_at"],
        "list_filter": ["status", "channel", "source"], "search_fields": ["number", "external_id"],
        "list_select_related": ["channel"], "show_full_result_count": False}))


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Read-only history; the import centre (/imports/) is where files are checked and imported."""

    list_display = ["id", "file_name", "created_by", "created_at", "mode", "status", "rows", "orders", "imported",
                    "duplicates", "rejected_orders", "error_rows"]
    list_filter = ["mode", "status", "file_kind"]
    search_fields = ["file_name"]
    list_select_related = ["created_by"]
    exclude = ["file"]  # private: shown as `stored_file`, a link to the permission-checked download
    readonly_fields = [f.name if f.name != "file" else "stored_file" for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def stored_file(self, obj):
        """A link to the permission-checked download (the file is in private storage, not public media)."""
        if not obj.file:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("imports:file", args=[obj.pk]), obj.file_name)


@admin.register(ImportedOrder)
class ImportedOrderAdmin(admin.ModelAdmin):
    list_display = ["order", "batch", "source_row", "legacy_carrier", "legacy_tracking_number"]
    list_filter = ["legacy_carrier"]
    search_fields = ["order__number", "order__external_id", "legacy_tracking_number"]
    list_select_related = ["order", "batch"]
    raw_id_fields = ["order", "batch"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
