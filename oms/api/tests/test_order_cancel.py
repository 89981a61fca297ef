"""POST /api/v1/orders/{number}/cancel."""

from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from oms.workflow.services import PaymentInput, submit_order
from orders.models import OrderStatus
from orders.services import order_ship
from orders.tests.factories import create_order, order_input

# Review reserves stock (inventory's `reserve_stock` step); these tests are about something else, so
# every product made by ProductFactory comes with stock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]


def submitted_paid_order():
    order = submit_order(data=order_input(lines=[(ProductFactory(), 2, "199.00")]),
                         payment=PaymentInput(method="alipay", paid_amount=Decimal("408.00")), actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    return order


def test_cancel_returns_the_cancelled_order_and_writes_the_timeline(api):
    order = submitted_paid_order()
    response = api.post(f"/api/v1/orders/{order.number}/cancel", {"reason": "客户要求取消"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["number"] == order.number
    assert response.json()["status"] == "cancelled" and response.json()["status_display"] == "已取消"
    event = order.events.order_by("-id").first()
    assert event.kind == "cancelled" and event.actor_name == f"api:{api.token.name}"
    assert event.data["reason"] == "客户要求取消"


def test_cancel_after_shipment_is_409_invalid_transition(api):
    order = order_ship(order=submitted_paid_order(), fully=True, actor=SYSTEM, message="已发货")
    assert order.status == OrderStatus.SHIPPED
    response = api.post(f"/api/v1/orders/{order.number}/cancel", {"reason": "太晚了"}, format="json")
    assert response.status_code == 409
    assert response.json()["type"] == "invalid_transition"
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_cancel_twice_is_409(api):
    order = create_order()
    assert api.post(f"/api/v1/orders/{order.number}/cancel", {"reason": "重复"}, format="json").status_code == 200
    again = api.post(f"/api/v1/orders/{order.number}/cancel", {"reason": "重复"}, format="json")
    assert again.status_code == 409 and again.json()["type"] == "invalid_transition"


@pytest.mark.parametrize("body, path", [({}, "reason"), ({"reason": "  "}, "reason"), ({"reason": 1}, "reason"),
                                        ({"reason": "x", "force": True}, "force")])
def test_cancel_needs_a_reason(api, body, path):
    order = create_order()
    response = api.post(f"/api/v1/orders/{order.number}/cancel", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {path}
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_REVIEW


def test_cancel_needs_orders_write(client_for):
    order = create_order()
    response = client_for(scopes=["orders:read"]).post(f"/api/v1/orders/{order.number}/cancel", {"reason": "x"},
                                                        format="json")
    assert response.status_code == 403 and response.json()["type"] == "missing_scope"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_REVIEW
