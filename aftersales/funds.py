"""The funds flow of after-sales, through the finance stage's services.

PLACEHOLDER until the finance stage lands.
"""

from __future__ import annotations

from decimal import Decimal

from aftersales.models import ReturnRequest
from orders.models import Order
from orders.services import order_cancel


def refund_return(*, request: ReturnRequest, amount: Decimal, shipping_fee: Decimal, lines, actor,
                  comment: str) -> str:
    """Refund `amount` of a request to the customer; returns the refund's reference."""
    return ""


def cancel_order_for_refund(*, order: Order, actor, reason: str) -> Order:
    """A refund before shipment: cancel the order; the stages release stock and refund payments."""
    order_cancel(order=order, actor=actor, reason=reason)
    order.refresh_from_db()
    return order
