"""Turning a `POST /api/v1/orders` body into the workflow's input, reporting every problem at once.

Wrong types and missing fields come from the strict serializer; business rules (unknown channel or
SKU, bad phone, negative price, discount above the line value) from
`orders.services.validate_order_input`. When the body has type errors, the business rules still run
on the well-typed part, so one 400 names every bad field; a business error under a path that already
has a type error is left out (the type error says enough).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ValidationFailed
from oms.api.errors import flatten_errors
from oms.workflow.services import PaymentInput
from orders.api.serializers import OrderCreateSerializer
from orders.services import OrderInput, validate_order_input


@dataclass(frozen=True)
class ParsedOrder:
    data: OrderInput
    payment: PaymentInput | None


def _covered(path: str, by: set[str]) -> bool:
    return any(path == p or path.startswith(f"{p}.") for p in by)


def parse_order_payload(payload) -> ParsedOrder:
    serializer = OrderCreateSerializer(data=payload)
    if serializer.is_valid():
        valid = serializer.validated_data
        payment = valid.get("payment")
        return ParsedOrder(
            data=OrderCreateSerializer.to_order_input(valid),
            payment=PaymentInput(method=payment["method"], paid_amount=payment["paid_amount"],
                                 transaction_id=payment["transaction_id"]) if payment else None,
        )
    errors = flatten_errors(serializer.errors)
    partial = getattr(serializer, "partial_data", None)
    if partial is not None:
        try:
            validate_order_input(OrderCreateSerializer.to_order_input(partial))
        except ValidationFailed as exc:
            typed = set(errors)
            for path, messages in exc.errors.items():
                if not _covered(path, typed):
                    errors.setdefault(path, []).extend(str(m) for m in messages)
    raise ValidationFailed(errors=errors)
