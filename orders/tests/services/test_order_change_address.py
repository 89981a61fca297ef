import pytest

from core.actors import SYSTEM
from core.errors import InvalidTransition, ValidationFailed
from orders.models import Order
from orders.services import order_change_address, order_ship
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def test_changes_fields_and_records_before_and_after(reviewer):
    order = create_order()
    changed = order_change_address(order=order, actor=reviewer, comment="客户来电更正", city="宁波市",
                                   phone="+86 139-0000-1111")
    assert (changed.city, changed.phone) == ("宁波市", "13900001111")
    event = changed.events.order_by("-id").first()
    assert event.kind == "address_changed"
    assert event.data["before"] == {"city": "杭州市", "phone": "13812341234"}
    assert event.data["after"] == {"city": "宁波市", "phone": "13900001111"}
    history = Order.history.filter(id=order.pk).order_by("-history_date", "-history_id").first()
    assert history.city == "宁波市"


def test_comment_required(reviewer):
    with pytest.raises(ValidationFailed) as exc:
        order_change_address(order=create_order(), actor=reviewer, comment="", city="宁波市")
    assert "comment" in exc.value.errors


def test_bad_values_named_and_nothing_changed(reviewer):
    order = create_order()
    with pytest.raises(ValidationFailed) as exc:
        order_change_address(order=order, actor=reviewer, comment="x", phone="123", city="", number="SO1")
    assert set(exc.value.errors) == {"number"}  # unknown fields refused first
    with pytest.raises(ValidationFailed) as exc:
        order_change_address(order=order, actor=reviewer, comment="x", phone="123", city="")
    assert set(exc.value.errors) == {"phone", "city"}
    order.refresh_from_db()
    assert order.city == "杭州市"


def test_no_change_after_shipment(reviewer):
    order = create_order()
    Order.objects.filter(pk=order.pk).update(status="awaiting_shipment")
    order_ship(order=order, fully=True, actor=SYSTEM, message="shipped")
    with pytest.raises(InvalidTransition):
        order_change_address(order=order, actor=reviewer, comment="x", city="宁波市")
