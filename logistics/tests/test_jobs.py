from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from logistics.jobs import sign_off_job
from logistics.services import shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of
from orders.models import OrderStatus

pytestmark = pytest.mark.django_db


def test_sign_off_job_is_scheduled_hourly():
    schedule = Schedule.objects.get(func="logistics.jobs.sign_off_job")
    assert schedule.schedule_type == Schedule.HOURLY and schedule.repeats == -1


def test_sign_off_job_completes_old_shipments_and_counts_stale_ones(settings):
    settings.OMS_AUTO_COMPLETE_DAYS = 10
    settings.OMS_TRACKING_STALE_HOURS = 72
    order = released_order([(product(), 1, "10.00")])
    shipment_ship(shipment=shipments_of(order)[0], tracking_number="SF1", actor=ACTOR,
                  shipped_at=timezone.now() - timedelta(days=11))
    waiting = released_order([(product(), 1, "10.00")])
    shipment_ship(shipment=shipments_of(waiting)[0], tracking_number="SF2", actor=ACTOR,
                  shipped_at=timezone.now() - timedelta(days=4))
    result = sign_off_job()
    order.refresh_from_db()
    assert result == {"completed": [order.number], "stale": 1}  # the 4-day-old parcel has had no news
    assert order.status == OrderStatus.COMPLETED
