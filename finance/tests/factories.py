"""Orders in the states finance cares about, built through the real services, and the ledger check."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from finance.invariants import ledger_problems
from finance.models import PaymentSource
from finance.services import bank_transfer_register, invoice_issue_if_due, payment_record
from inventory.services import order_stock_reserve
from orders.models import Order, OrderStatus, PaymentMethod
from orders.services import order_pass_review
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
    """Money in through the finance stage; a bank transfer as finance registers it from the statement."""
    amount = order.total if amount is None else Decimal(amount)
    if method == PaymentMethod.BANK_TRANSFER:
        return bank_transfer_register(order=order, amount=amount, actor=SYSTEM,
                                      reference=transaction_id if transaction_id is not None else f"B{next(_txn):08d}")
    return payment_record(order=order, amount=amount, method=method, source=source, provider=method, actor=SYSTEM,
                          transaction_id=transaction_id if transaction_id is not None else f"T{next(_txn):08d}")


def paid_order(*, lines=None, shipping_fee="10.00", method=PaymentMethod.ALIPAY, reserve: bool = False,
               invoice: bool = False, **overrides) -> Order:
    """Paid in full and released for shipment (`awaiting_shipment`), through the real services.

    Created, paid (payment row, journal entry; cash on delivery is left for the courier to collect),
    passed review. With `reserve`, its stock is reserved first (the products must be in stock), so the
    logistics stage plans its shipments on release; with `invoice`, it is invoiced as the review step
    does. The one `paid_order`: logistics' `released_order` and after-sales' `invoiced_order` build on it.
    """
    if lines is None:
        lines = [(ProductFactory(), 2, "199.00")]
    order = create_order(lines=lines, shipping_fee=shipping_fee, payment_method=method, **overrides)
    if method != PaymentMethod.COD:
        pay(order, method=method, source=PaymentSource.CHANNEL)
    order = reload(order)
    if reserve:
        order_stock_reserve(order=order, actor=SYSTEM)
    order = order_pass_review(order=order, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_SHIPMENT, order.status
    if invoice:
        invoice_issue_if_due(order=order, actor=SYSTEM)
    return order


def reload(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def assert_ledger_ok():
    problems = ledger_problems()
    assert problems == [], "\n".join(problems)
