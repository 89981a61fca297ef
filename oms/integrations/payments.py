"""Payment-provider webhooks: `POST /api/v1/webhooks/payments/{provider}` (contract api-v1.md).

Body: `{"event_id", "order_number", "status": "succeeded"|"failed"|"refunded", "amount",
"transaction_id", "paid_at"}`. The work is done by `oms.workflow.payments.record_provider_payment`:
a full payment moves an `awaiting_payment` order to `awaiting_shipment`, a mismatching amount puts
it `on_hold`, a failure is recorded, a refund is recorded as paid out.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.errors import NotFound
from oms.integrations.inbox import WebhookHandler, register_handler
from oms.integrations.models import WebhookKind
from oms.workflow.payments import record_provider_payment
from orders.models import Order


class PaymentEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100)
    order_number = serializers.CharField(max_length=32)
    status = serializers.ChoiceField(choices=["succeeded", "failed", "refunded"])
    # At most ¥99,999,999.99: larger amounts overflowed the order's money columns only when processed.
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
                                      max_value=Decimal("99999999.99"))
    transaction_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    paid_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        # Contract: a payment or refund is identified by the provider's transaction ID.
        if attrs["status"] in MONEY_STATUSES and not attrs.get("transaction_id", "").strip():
            raise serializers.ValidationError({"transaction_id": [_("Required for a succeeded or refunded payment.")]})
        return attrs


MONEY_STATUSES = ("succeeded", "refunded")


def money_key(data: dict) -> str:
    """`succeeded:<transaction>` / `refunded:<transaction>`: one provider transaction counts once."""
    if data["status"] not in MONEY_STATUSES:
        return ""
    return f"{data['status']}:{data['transaction_id'].strip()}"


def resolve(data: dict) -> None:
    if not Order.objects.filter(number=data["order_number"]).exists():
        raise NotFound(_("Unknown order %(number)s.") % {"number": data["order_number"]})


def handle(event, data: dict, actor) -> None:
    order = Order.objects.get(number=data["order_number"])
    record_provider_payment(order=order, provider=event.sender, status=data["status"], amount=data["amount"],
                            transaction_id=data["transaction_id"], paid_at=data["paid_at"], actor=actor)


register_handler(WebhookHandler(kind=WebhookKind.PAYMENTS, serializer=PaymentEventSerializer, resolve=resolve,
                                handle=handle, money_key=money_key, moves_money=True))
