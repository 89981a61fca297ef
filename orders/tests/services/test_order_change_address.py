import pytest
from django.db import connection

from core.actors import SYSTEM
from core.errors import InvalidTransition, ValidationFailed
from core.fieldcrypto import looks_encrypted
from orders.events import event_for_viewer
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
    # In clear only masked; whole in the encrypted part, for viewers allowed to see personal data.
    assert event.data["before"] == {"city": "杭州市", "phone": "138****1234"}
    assert event.data["after"] == {"city": "宁波市", "phone": "139****1111"}
    _message, whole = event_for_viewer(event, pii=True)
    assert whole["before"] == {"city": "杭州市", "phone": "13812341234"}
    assert whole["after"] == {"city": "宁波市", "phone": "13900001111"}
    history = Order.history.filter(id=order.pk).order_by("-history_date", "-history_id").first()
    assert history.city == "宁波市"


def test_phones_streets_and_comment_stored_only_encrypted(reviewer):
    order = create_order()
    order_change_address(order=order, actor=reviewer, comment="客户来电改为 13900001111",
                         phone="13900001111", address_detail="中山东路88号")
    event = order.events.get(kind="address_changed")
    with connection.cursor() as cursor:
        cursor.execute("SELECT message, data, private FROM orders_orderevent WHERE id = %s", [event.pk])
        message, data, private = cursor.fetchone()
    raw = f"{message}{data}{private}"
    for secret in ("13900001111", "13812341234", "中山东路88号", "文三路"):
        assert secret not in raw
    assert looks_encrypted(private)
    assert "139****1111" in message
    masked_message, masked = event_for_viewer(event, pii=False)
    assert masked["after"]["address_detail"] == "中山****" and masked["before"]["phone"] == "138****1234"
    assert "13900001111" not in masked_message
    whole_message, whole = event_for_viewer(event, pii=True)
    assert whole_message == "已修改收货地址：客户来电改为 13900001111"
    assert whole["after"]["address_detail"] == "中山东路88号" and whole["comment"] == "客户来电改为 13900001111"


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
