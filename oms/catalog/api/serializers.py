"""API representation of products (contract: /api/v1/products)."""

from rest_framework import serializers

from oms.catalog.models import Product
from oms.core.money import money_str


class ProductSerializer(serializers.ModelSerializer):
    price = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["sku", "name", "price", "barcode", "active"]

    def get_price(self, obj) -> str:
        return money_str(obj.price)
