"""Serializers of the after-sales stage for REST API v1: return requests of an order.

Input is strict like the orders API (`core.api_fields`): quantities are JSON integers, unknown
keys are refused, every bad field is named by its dotted path. The after-sales rules (window,
quantities, reasons, approval) stay in `aftersales.services`.
"""

from __future__ import annotations

from rest_framework import serializers

from aftersales.models import QcResult, ReturnKind, ReturnRequest, ReturnStatus
from aftersales.services import ReturnLineInput
from core.api_fields import (
    MoneyField,
    OffsetDateTimeField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictListSerializer,
    StrictSerializer,
)

MAX_LINES = 500

# Chinese status names are part of the API (as for orders), not of the UI catalogue.
STATUS_DISPLAY = {
    ReturnStatus.REQUESTED: "待审核",
    ReturnStatus.APPROVED: "已同意",
    ReturnStatus.REJECTED: "已拒绝",
    ReturnStatus.AWAITING_RETURN: "退货在途",
    ReturnStatus.RECEIVED: "已收货",
    ReturnStatus.INSPECTED: "已质检",
    ReturnStatus.REFUNDED: "已退款",
    ReturnStatus.EXCHANGED: "已换货",
    ReturnStatus.CLOSED: "已关闭",
}
KIND_DISPLAY = {ReturnKind.RETURN: "退货退款", ReturnKind.EXCHANGE: "换货", ReturnKind.REFUND_ONLY: "仅退款"}


class ReturnLineInSerializer(StrictSerializer):
    """Units of one order line to give back. `exchange_sku` (exchanges only) names another SKU of the same
    price; left out, the same SKU is sent again."""

    sku = StrictCharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=1_000_000)
    exchange_sku = StrictCharField(max_length=64, required=False, allow_blank=True, allow_null=True)

    class Meta:
        list_serializer_class = StrictListSerializer


class ReturnCreateSerializer(StrictSerializer):
    """A return (`return`), exchange (`exchange`) or refund without return (`refund_only`).

    `reason` is a reason code (`no_reason`, `wrong_size`, `changed_mind`, `quality`, `damaged_in_transit`,
    `wrong_item_sent`, `not_as_described`, `missing_parts`, `not_received`, `other`; administrators keep the
    list). `external_id` is the channel's own after-sales ID: the same ID again is answered with the stored
    request. `lines` may be empty only for a refund without return before anything shipped, which cancels
    the whole order.
    """

    kind = StrictChoiceField(choices=ReturnKind.choices)
    reason = StrictCharField(max_length=40)
    description = StrictCharField(max_length=2000, required=False, allow_blank=True, allow_null=True)
    external_id = StrictCharField(max_length=64, required=False, allow_blank=True, allow_null=True)
    lines = ReturnLineInSerializer(many=True, allow_empty=True, max_length=MAX_LINES)
    return_carrier = StrictCharField(max_length=32, required=False, allow_blank=True, allow_null=True)
    return_tracking_number = StrictCharField(max_length=64, required=False, allow_blank=True, allow_null=True)

    @staticmethod
    def line_inputs(data: dict) -> list[ReturnLineInput]:
        return [ReturnLineInput(sku=line.get("sku", ""), quantity=line.get("quantity", 0),
                                exchange_sku=line.get("exchange_sku") or "") for line in data.get("lines") or []]


class ReturnParcelSerializer(StrictSerializer):
    """The customer's return parcel: carrier code and waybill number."""

    carrier = StrictCharField(max_length=32, required=False, allow_blank=True, allow_null=True)
    tracking_number = StrictCharField(max_length=64)


# -- output -------------------------------------------------------------------------------------------


class ReturnLineOutSerializer(serializers.Serializer):
    sku = serializers.CharField(source="order_line.sku")
    name = serializers.CharField(source="order_line.name")
    quantity = serializers.IntegerField(help_text="Units asked for.")
    exchange_sku = serializers.SerializerMethodField(help_text="Replacement SKU of an exchange, else null.")
    received = serializers.IntegerField(source="quantity_received")
    passed = serializers.IntegerField(source="quantity_passed", help_text="Passed QC: back in sellable stock.")
    damaged = serializers.IntegerField(source="quantity_damaged", help_text="Damaged: held in quarantine.")
    wrong_item = serializers.IntegerField(source="quantity_wrong", help_text="Not the item sold.")
    qc_result = serializers.ChoiceField(choices=QcResult.choices)
    refund_amount = MoneyField()

    def get_exchange_sku(self, line) -> str | None:
        return line.exchange_product.sku if line.exchange_product_id else None


class ReasonOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ApprovalReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`outside_window` or `refund_only_over_threshold`.")
    message = serializers.CharField()


class ReturnRequestOutSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="RMA number, e.g. RMA20261126000001.")
    order_number = serializers.CharField(source="order.number")
    external_id = serializers.CharField(source="channel_ref")
    kind = serializers.ChoiceField(choices=ReturnKind.choices)
    kind_display = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    status_display = serializers.SerializerMethodField()
    reason = ReasonOutSerializer()
    description = serializers.CharField()
    needs_approval = serializers.BooleanField(help_text="Outside the rules: waits for a manager's approval.")
    approval_reasons = ApprovalReasonSerializer(many=True)
    before_shipment = serializers.BooleanField(help_text="A refund before shipment, settled by cancelling the order.")
    return_carrier = serializers.CharField()
    return_tracking_number = serializers.CharField()
    warehouse = serializers.SerializerMethodField(help_text="Code of the warehouse that received the goods.")
    lines = ReturnLineOutSerializer(many=True)
    refund_amount = MoneyField(help_text="Refunded by this request (goods and shipping fee).")
    shipping_fee_refunded = MoneyField()
    awaiting_manual_refund = serializers.BooleanField(
        help_text="Bank-transfer and cash-on-delivery refunds: true until finance confirms the transfer.")
    credit_note = serializers.CharField(source="credit_note_number",
                                        help_text="Number of the credit note (红字发票) when the invoice was credited.")
    replacement_order = serializers.SerializerMethodField(help_text="Number of the exchange's replacement order.")
    created_at = OffsetDateTimeField()
    updated_at = OffsetDateTimeField()
    received_at = OffsetDateTimeField(allow_null=True)
    inspected_at = OffsetDateTimeField(allow_null=True)
    settled_at = OffsetDateTimeField(allow_null=True)
    closed_at = OffsetDateTimeField(allow_null=True)

    def get_kind_display(self, request: ReturnRequest) -> str:
        return KIND_DISPLAY[request.kind]

    def get_status_display(self, request: ReturnRequest) -> str:
        return STATUS_DISPLAY[request.status]

    def get_warehouse(self, request: ReturnRequest) -> str | None:
        return request.warehouse.code if request.warehouse_id else None

    def get_replacement_order(self, request: ReturnRequest) -> str | None:
        return request.replacement_order.number if request.replacement_order_id else None
