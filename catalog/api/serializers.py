"""Catalog serializers for REST API v1 (`GET /api/v1/products`)."""

from rest_framework import serializers

from catalog.models import Product
from core.api_fields import MoneyField


class ProductOutSerializer(serializers.ModelSerializer):
    price = MoneyField()

    class Meta:
        model = Product
        fields = ["sku", "name", "price", "barcode", "active"]

