"""`manage.py demo_data`: orders released for shipment move on through the warehouse; idempotent."""

import pytest
from django.core.management import call_command

from logistics.models import Shipment
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db


def test_demo_orders_ship_travel_and_complete_and_a_second_run_adds_nothing(capsys):
    call_command("demo_data", orders=50)
    statuses = set(Order.objects.values_list("status", flat=True))
    # The states after release come from the logistics seeding (pending_review is left to the pipeline's
    # own seeding: every demo order is reviewed at once).
    assert {OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED,
            OrderStatus.COMPLETED, OrderStatus.CANCELLED} <= statuses
    counts = (Order.objects.count(), Shipment.objects.count())
    shipment_states = set(Shipment.objects.values_list("status", flat=True))
    assert {"created", "packed", "shipped", "in_transit", "delivered", "exception"} <= shipment_states
    call_command("demo_data", orders=50)
    assert (Order.objects.count(), Shipment.objects.count()) == counts
    assert "oms-demo-2026" in capsys.readouterr().out
