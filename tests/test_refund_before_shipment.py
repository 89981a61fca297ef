"""Issue 17, high 1: a refunded order must not ship (the three flows must not drift).

The attack: an after-sales clerk refunded everything held for a customer from the funds page; the
order stayed `awaiting_shipment` with `payment_status=refunded` and the warehouse handed it over.
"""

from decimal import Decimal

import pytest
from django.core.management import call_command

from core.enums import Role
from core.errors import InvalidTransition
from finance.models import Refund, RefundApproval
from finance.services import refund_request
from finance.tests.factories import assert_ledger_ok
from inventory.models import Stock
from logistics.services import shipment_pack, shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return released_order([(product("SKU-R1", stock=10), 2, Decimal("199.00"))])


def _login(client, make_user, *roles):
    user = make_user("u-" + "-".join(roles), *roles)
    client.force_login(user)
    return user


def _refund(client, order, amount="", reason="顾客要求退款"):
    return client.post(f"/finance/orders/{order.number}/refund/", {"amount": amount, "reason": reason}, follow=True)


def _stock_clean(capsys):
    call_command("check_stock")
    assert "no drift" in capsys.readouterr().out
    assert_ledger_ok()


def test_full_refund_before_shipment_cancels_and_releases_stock(order, client, make_user, capsys,
                                                                 django_capture_on_commit_callbacks):
    _login(client, make_user, Role.FINANCE, Role.MANAGER)  # may refund and may cancel
    assert Stock.objects.get(product__sku="SKU-R1").reserved == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = _refund(client, order)
    assert response.status_code == 200
    order = Order.objects.get(pk=order.pk)
    assert order.status == "cancelled"
    assert order.refunded_amount == order.paid_amount == order.total
    assert Stock.objects.get(product__sku="SKU-R1").reserved == 0
    assert all(s.status == "cancelled" for s in shipments_of(order))
    _stock_clean(capsys)


def test_aftersales_cannot_refund_everything_of_an_unshipped_order(order, client, make_user, capsys):
    _login(client, make_user, Role.AFTERSALES)
    response = _refund(client, order)
    assert 'class="msg msg-error"' in response.content.decode()
    assert not Refund.objects.filter(order=order).exists()
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"
    _stock_clean(capsys)


def test_partial_refund_before_shipment_holds_the_order(order, client, make_user, capsys):
    _login(client, make_user, Role.FINANCE)
    _refund(client, order, amount="50.00", reason="差价补偿")
    order = Order.objects.get(pk=order.pk)
    assert Refund.objects.get(order=order).amount == Decimal("50.00")
    assert order.status == "on_hold" and "payment_mismatch" in order.hold_reasons
    _stock_clean(capsys)


def test_a_refund_above_the_limit_needs_approval(order, client, make_user, settings, capsys):
    settings.OMS_REFUND_APPROVAL_LIMIT = "100.00"
    _login(client, make_user, Role.FINANCE)
    response = _refund(client, order, amount="150.00")
    assert "财务总监审批" in response.content.decode()
    assert not Refund.objects.filter(order=order).exists()
    # waiting for the director: the order, its money and its stock as they were (tests/test_refund_approval.py)
    assert RefundApproval.objects.get(order=order).status == "pending"
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"
    _stock_clean(capsys)


def test_packing_and_handover_refuse_an_order_whose_money_went_back(order, capsys):
    # Money leaves by a path that does not touch the order (e.g. a lower-level call): the warehouse still refuses.
    refund_request(order=order, reason="bypass", actor=ACTOR)
    shipment = shipments_of(order)[0]
    with pytest.raises(InvalidTransition):
        shipment_pack(shipment=shipment, actor=ACTOR, weight_kg="1.0", verify_scan=False)
    with pytest.raises(InvalidTransition):
        shipment_ship(shipment=shipment, actor=ACTOR, tracking_number="SF100200300")
    assert Stock.objects.get(product__sku="SKU-R1").reserved == 2
    _stock_clean(capsys)


def test_cash_on_delivery_still_ships(capsys):
    cod = released_order([(product("SKU-R2", stock=5), 1, Decimal("99.00"))], cod=True)
    shipment = shipments_of(cod)[0]
    shipment_pack(shipment=shipment, actor=ACTOR, weight_kg="1.0", verify_scan=False)
    shipment_ship(shipment=shipment, actor=ACTOR)
    assert Order.objects.get(pk=cod.pk).status == "shipped"
    _stock_clean(capsys)
