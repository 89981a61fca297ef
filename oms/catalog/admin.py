from django.contrib import admin

from oms.catalog.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "price", "tax_rate", "weight_kg", "barcode", "needs_qc", "active"]
    list_filter = ["active", "needs_qc", "tax_rate"]
    search_fields = ["sku", "name", "barcode"]
    list_per_page = 50
