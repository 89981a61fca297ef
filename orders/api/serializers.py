"""Serializers of the orders stage for REST API v1 (contract: `contracts/api-v1.md`, "Orders").

Input is strict about types (`core.api_fields`): a quantity is a JSON integer (not `"2"`, `2.5`
or `true`), money a string with at most two decimals, times carry a UTC offset, unknown keys are
refused, every bad field is reported under its dotted path (`lines.1.quantity`). The business rules
(unknown SKU or channel, phones, non-negative amounts) stay in `orders.services.validate_order_input`;
`OrderCreateSerializer.partial_data` keeps the well-typed fields so they can run even when others
have the wrong type.

Output follows the contract's order representation: money as strings, times in ISO 8601 with the
+08:00 offset, phones and e-mails masked unless the serializer context has `pii=True`.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import (
    MoneyField,
    OffsetDateTimeField,
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
    StrictIntegerField,
    StrictListSerializer,
    StrictSerializer,
)
from core.money import ZERO
from core.pii import mask_email, mask_phone
from orders.events import event_for_viewer
from orders.models import Order, OrderEvent, OrderLine, OrderStatus, PaymentMethod, PaymentStatus
from orders.services import LineInput, OrderInput

# Largest amount a MoneyField (14 digits, 2 decimals) can hold.
MAX_MONEY = Decimal("999999999999.99")
MAX_QUANTITY = 1_000_000
MAX_LINES = 500

# The contract promises Chinese status names; they are part of the API, not of the UI catalogue.
STATUS_DISPLAY = {
    OrderStatus.PENDING_REVIEW: "待审核",
    OrderStatus.ON_HOLD: "异常待处理",
    OrderStatus.AWAITING_PAYMENT: "待付款",
    OrderStatus.AWAITING_SHIPMENT: "待发货",
    OrderStatus.PARTIALLY_SHIPPED: "部分发货",
    OrderStatus.SHIPPED: "已发货",
    OrderStatus.COMPLETED: "已完成",
    OrderStatus.CANCELLED: "已取消",
}


class CustomerInSerializer(StrictSerializer):
    """The buyer. `email` is optional."""

    name = StrictCharField(max_length=100)
    phone = StrictCharField(max_length=32)
    email = StrictEmailField(max_length=254, required=False, allow_blank=True, allow_null=True)


class AddressInSerializer(StrictSerializer):
    """Where the goods go. `district` and `postal_code` are optional."""

    recipient = StrictCharField(max_length=100)
    phone = StrictCharField(max_length=32)
    province = StrictCharField(max_length=32)
    city = StrictCharField(max_length=32)
    district = StrictCharField(max_length=32, required=False, allow_blank=True, allow_null=True)
    detail = StrictCharField(max_length=255)
    postal_code = StrictCharField(max_length=12, required=False, allow_blank=True, allow_null=True)


class LineInSerializer(StrictSerializer):
    """One line: `quantity` a JSON integer, money as strings; `discount` (for the whole line) optional."""

    sku = StrictCharField(max_length=64)
    quantity = StrictIntegerField(max_value=MAX_QUANTITY)
    unit_price = MoneyField()
    discount = MoneyField(required=False, allow_null=True)

    class Meta:
        list_serializer_class = StrictListSerializer


# The invoice kinds finance issues (`finance.models.InvoiceType`; this stage sits below finance).
INVOICE_TYPES = (("normal", _("Ordinary VAT invoice (普通发票)")), ("special", _("Special VAT invoice (专用发票)")))


class InvoiceInSerializer(StrictSerializer):
    """The buyer's invoice request as filled in on the channel (发票抬头). `type` defaults to `normal`;
    a `special` invoice needs `tax_id`, `address_phone` and `bank_account` as well."""

    type = StrictChoiceField(choices=INVOICE_TYPES, required=False)
    title = StrictCharField(max_length=200)
    tax_id = StrictCharField(max_length=32, required=False, allow_blank=True, allow_null=True)
    address_phone = StrictCharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    bank_account = StrictCharField(max_length=200, required=False, allow_blank=True, allow_null=True)


class PaymentInSerializer(StrictSerializer):
    """What the channel collected. `paid_amount` equal to the total confirms payment."""

    method = StrictChoiceField(choices=PaymentMethod.choices)
    paid_amount = MoneyField(min_value=ZERO)
    transaction_id = StrictCharField(max_length=64, allow_blank=True)


class OrderCreateSerializer(StrictSerializer):
    """An order from a channel. Unknown keys are refused; optional fields may be left out or null."""

    channel = StrictCharField(max_length=32)
    external_id = StrictCharField(max_length=64)
    ordered_at = OffsetDateTimeField()
    customer = CustomerInSerializer()
    shipping_address = AddressInSerializer()
    lines = LineInSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    shipping_fee = MoneyField()
    payment = PaymentInSerializer(required=False, allow_null=True)
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, allow_null=True)
    invoice = InvoiceInSerializer(required=False, allow_null=True)

    def validate(self, attrs):
        total = sum((line["unit_price"] * line["quantity"] for line in attrs["lines"]), ZERO) + attrs["shipping_fee"]
        if total > MAX_MONEY:
            raise serializers.ValidationError({"lines": [_("The order total is too large.")]})
        return attrs

    @staticmethod
    def to_order_input(data: dict) -> OrderInput:
        """The service's input from validated (or partially validated) data; absent fields empty."""
        customer = data.get("customer") or {}
        address = data.get("shipping_address") or {}
        payment = data.get("payment") or {}
        lines = [
            LineInput(sku=line.get("sku", ""), quantity=line.get("quantity", 0),
                      unit_price=line.get("unit_price", ZERO), discount=line.get("discount") or ZERO)
            for line in data.get("lines") or []
        ]
        return OrderInput(
            channel=data.get("channel", ""), external_id=data.get("external_id", ""),
            customer_name=customer.get("name", ""), customer_phone=customer.get("phone", ""),
            customer_email=customer.get("email") or "",
            recipient=address.get("recipient", ""), recipient_phone=address.get("phone", ""),
            province=address.get("province", ""), city=address.get("city", ""),
            district=address.get("district") or "", address_detail=address.get("detail", ""),
            postal_code=address.get("postal_code") or "", lines=lines, ordered_at=data.get("ordered_at"),
            shipping_fee=data.get("shipping_fee", ZERO), payment_method=payment.get("method", ""),
            note=data.get("note") or "", invoice_request=invoice_request(data.get("invoice")),
        )


def invoice_request(invoice: dict | None) -> dict:
    """The order's `invoice_request` from the API's `invoice` object (empty when none was sent)."""
    if not invoice or not invoice.get("title"):
        return {}
    return {"type": invoice.get("type") or "normal", "title": invoice["title"].strip(),
            **{key: (invoice.get(key) or "").strip() for key in ("tax_id", "address_phone", "bank_account")}}


class OrderCancelSerializer(StrictSerializer):
    """Why the order is cancelled; shown on the order's timeline."""

    reason = StrictCharField(max_length=500)


# -- output -------------------------------------------------------------------------------------------


class PiiField(serializers.CharField):
    """A phone or e-mail, masked unless the serializer context says `pii=True`."""

    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        super().__init__(**kwargs)

    def to_representation(self, value):
        value = str(value or "")
        if self.context.get("pii"):
            return value
        return mask_email(value) if self.kind == "email" else mask_phone(value)


class CustomerOutSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = PiiField(kind="phone", help_text="Masked (138****1234) unless the token has pii:read.")
    email = PiiField(kind="email", help_text="Masked (z***@example.com) unless the token has pii:read.")


class AddressOutSerializer(serializers.Serializer):
    recipient = serializers.CharField()
    phone = PiiField(kind="phone", help_text="Masked unless the token has pii:read.")
    province = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField()
    detail = serializers.CharField(source="address_detail")
    postal_code = serializers.CharField()


class LineOutSerializer(serializers.ModelSerializer):
    unit_price = MoneyField()
    discount = MoneyField()
    amount = MoneyField()
    reserved = serializers.IntegerField(source="quantity_reserved")
    shipped = serializers.IntegerField(source="quantity_shipped")

    class Meta:
        model = OrderLine
        fields = ["sku", "name", "quantity", "unit_price", "discount", "amount", "reserved", "shipped"]


class OrderOutSerializer(serializers.Serializer):
    """The orders stage's part of the API's order representation; `oms.api.representation` adds
    what later stages know (the shipments)."""

    number = serializers.CharField()
    channel = serializers.CharField(source="channel.code")
    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    status_display = serializers.SerializerMethodField()
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices)
    hold_reasons = serializers.ListField(child=serializers.CharField())
    customer = CustomerOutSerializer()
    shipping_address = AddressOutSerializer(source="*")
    lines = LineOutSerializer(many=True, source="lines.all")
    shipping_fee = MoneyField()
    total = MoneyField()
    paid = MoneyField(source="paid_amount")
    refunded = MoneyField(source="refunded_amount")
    ordered_at = OffsetDateTimeField()
    created_at = OffsetDateTimeField()
    updated_at = OffsetDateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_status_display(self, order: Order) -> str:
        return STATUS_DISPLAY.get(order.status, order.status)


class OrderEventOutSerializer(serializers.Serializer):
    at = OffsetDateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor_name")
    message = serializers.CharField()
    data = serializers.JSONField()

    def to_representation(self, event: OrderEvent):
        out = super().to_representation(event)
        out["message"], out["data"] = event_for_viewer(event, pii=bool(self.context.get("pii")))
        return out
