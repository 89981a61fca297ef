"""Orders in the states finance cares about, built through the real services, and the ledger check."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from finance.invariants import ledger_problems
from finance.models import PaymentSource
from finance.services import payment_record
from orders.models import Order, PaymentMethod
from orders.services import order_mark_paid, order_pass_review
from orders.tests.factories import create_order

_txn = count(1)


def make_order(*, lines=None, shipping_fee="10.00", cod=False, review=True, **overrides) -> Order:
    """A reviewed order: `awaiting_payment` (prepaid) or `awaiting_shipment` (cash on delivery).

    Default: two of a 199.00 product at 13 % plus 10.00 shipping = 408.00.
    """
    if lines is None:
        lines = [(ProductFactory(), 2, "199.00")]
    order = create_order(lines=lines, shipping_fee=shipping_fee,
                         payment_method=PaymentMethod.COD if cod else PaymentMethod.ALIPAY, **overrides)
    if review:
        order = order_pass_review(order=order, actor=SYSTEM)
    return order


def pay(order: Order, amount=None, *, transaction_id=None, source=PaymentSource.WEBHOOK, method=PaymentMethod.ALIPAY):
    return payment_record(order=order, amount=order.total if amount is None else Decimal(amount), method=method,
                          source=source, provider="alipay", actor=SYSTEM,
                          transaction_id=transaction_id if transaction_id is not None else f"T{next(_txn):08d}")


def paid_order(**kwargs) -> Order:
    """Paid in full and released: `awaiting_shipment`."""
    order = make_order(**kwargs)
    pay(order)
    return order_mark_paid(order=Order.objects.get(pk=order.pk), actor=SYSTEM)


def reload(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def assert_ledger_ok():
    problems = ledger_problems()
    assert problems == [], "\n".join(problems)
