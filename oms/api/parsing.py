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
from finance.vat import Buyer, check_buyer, normalise_tax_id
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


# finance's names for the buyer's details → the paths of the API's `invoice` object
INVOICE_PATHS = {"buyer_name": "invoice.title", "buyer_tax_id": "invoice.tax_id",
                 "buyer_address_phone": "invoice.address_phone", "buyer_bank_account": "invoice.bank_account"}


def invoice_errors(request: dict) -> dict[str, list[str]]:
    """What finance would refuse to issue the requested invoice with (a special invoice without the
    buyer's details, a malformed taxpayer ID), under the `invoice.*` paths; the same check as the
    back office's invoice form, so a channel learns of it when it sends the order, not at issue."""
    if not request:
        return {}
    try:
        check_buyer(Buyer(invoice_type=request["type"], title=request["title"],
                          tax_id=normalise_tax_id(request["tax_id"]), address_phone=request["address_phone"],
                          bank_account=request["bank_account"]))
    except ValidationFailed as exc:
        return {INVOICE_PATHS.get(key, f"invoice.{key}"): [str(m) for m in messages]
                for key, messages in exc.errors.items()}
    return {}


def parse_order_payload(payload) -> ParsedOrder:
    serializer = OrderCreateSerializer(data=payload)
    if serializer.is_valid():
        valid = serializer.validated_data
        payment = valid.get("payment")
        data = OrderCreateSerializer.to_order_input(valid)
        refused = invoice_errors(data.invoice_request)
        if refused:
            try:
                validate_order_input(data)
            except ValidationFailed as exc:  # every bad field at once
                refused = {**{k: [str(m) for m in v] for k, v in exc.errors.items()}, **refused}
            raise ValidationFailed(errors=refused)
        return ParsedOrder(
            data=data,
            payment=PaymentInput(method=payment["method"], paid_amount=payment["paid_amount"],
                                 transaction_id=payment["transaction_id"]) if payment else None,
        )
    errors = flatten_errors(serializer.errors)
    partial = getattr(serializer, "partial_data", None)
    if partial is not None:
        data = OrderCreateSerializer.to_order_input(partial)
        business = dict(invoice_errors(data.invoice_request))
        try:
            validate_order_input(data)
        except ValidationFailed as exc:
            business.update(exc.errors)
        typed = set(errors)
        for path, messages in business.items():
            if not _covered(path, typed):
                errors.setdefault(path, []).extend(str(m) for m in messages)
    raise ValidationFailed(errors=errors)
