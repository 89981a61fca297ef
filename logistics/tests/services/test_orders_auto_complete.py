from datetime import timedelta

import pytest
from django.utils import timezone

from logistics.services import orders_auto_complete, shipment_ship, shipment_track
from logistics.tests.factories import ACTOR, product, released_order, shipments_of
from orders.models import OrderStatus

pytestmark = pytest.mark.django_db


def ship(order, tracking):
    return shipment_ship(shipment=shipments_of(order)[0], tracking_number=tracking, actor=ACTOR).shipment


def test_completes_orders_shipped_more_than_n_days_ago_without_delivery(settings):
    settings.OMS_AUTO_COMPLETE_DAYS = 10
    p = product()
    old, recent, troubled = (released_order([(p, 1, "10.00")]) for _ in range(3))
    now = timezone.now()
    ship(old, "SF1")
    ship(recent, "SF2")
    bad = ship(troubled, "SF3")
    shipment_track(shipment=bad, status="exception", occurred_at=now, description="破损", actor=ACTOR)
    assert orders_auto_complete(now=now + timedelta(days=9)) == []
    done = orders_auto_complete(now=now + timedelta(days=10, minutes=1))
    assert sorted(done) == sorted([old.number, recent.number])
    old.refresh_from_db()
    troubled.refresh_from_db()
    assert old.status == OrderStatus.COMPLETED and troubled.status == OrderStatus.SHIPPED
    event = old.events.filter(kind="status_changed").latest("pk")
    assert event.actor_name == "auto_sign_off" and event.data["auto"] is True and "10" in event.message
    assert orders_auto_complete(now=now + timedelta(days=30)) == []  # nothing twice


def test_days_follow_the_setting(settings):
    settings.OMS_AUTO_COMPLETE_DAYS = 3
    order = released_order([(product(), 1, "10.00")])
    ship(order, "SF9")
    assert orders_auto_complete(now=timezone.now() + timedelta(days=3, minutes=1)) == [order.number]
