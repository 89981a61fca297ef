"""Orders in the states the workbench deals with, built through the real pipeline."""

from decimal import Decimal

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from oms.workflow.services import PaymentInput, submit_order
from orders.tests.factories import order_input


def held_for_address(**overrides):
    """On hold for an address anomaly (any reviewer may approve it)."""
    overrides.setdefault("address_detail", "测试地址")
    return submit_order(data=order_input(**overrides), payment=None, actor=SYSTEM)


def held_for_large_amount(*, paid=True, **overrides):
    """On hold for a large amount: only the finance director may approve it."""
    product = ProductFactory(price=Decimal("30000.00"))
    data = order_input(lines=[(product, 2, "30000.00")], shipping_fee="0.00", **overrides)
    payment = PaymentInput(method="alipay", paid_amount=Decimal("60000.00"), transaction_id="T-LARGE") if paid else None
    return submit_order(data=data, payment=payment, actor=SYSTEM)


def held_for_payment_mismatch(**overrides):
    data = order_input(lines=[(ProductFactory(), 2, "199.00")], shipping_fee="10.00", **overrides)
    return submit_order(data=data, payment=PaymentInput(method="alipay", paid_amount=Decimal("400.00")),
                        actor=SYSTEM)
