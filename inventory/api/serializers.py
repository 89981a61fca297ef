"""API representations of the inventory stage (contract: /api/v1/stock)."""

from rest_framework import serializers


class StockLevelSerializer(serializers.Serializer):
    """One SKU in one warehouse: `{"sku", "warehouse", "on_hand", "reserved", "available"}`."""

    sku = serializers.CharField()
    warehouse = serializers.CharField(help_text="Warehouse code, e.g. SH01.")
    on_hand = serializers.IntegerField(help_text="Sellable units in the warehouse.")
    reserved = serializers.IntegerField(help_text="Units reserved for orders, not shipped yet.")
    available = serializers.IntegerField(
        min_value=0,
        help_text="Units that can still be promised: on hand − reserved − safety stock, never below zero; "
                  "for a token bound to a channel, that channel's share or cap of it.",
    )


class StockQuerySerializer(serializers.Serializer):
    sku = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1, max_length=100,
                                help_text="One or more SKUs: ?sku=SKU-001&sku=SKU-002 (at most 100).")
