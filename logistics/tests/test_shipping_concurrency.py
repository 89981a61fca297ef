"""Two workers hand the same parcel over, or scan the last unit, at once (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from core.errors import DomainError
from inventory.models import MovementKind, Stock, StockMovement
from logistics.models import Shipment, ShipmentStatus
from logistics.services import shipment_scan, shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def together(*calls):
    """Run the calls in threads (one connection each) released by one barrier; their outcomes in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = call()
        except DomainError as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_one_parcel_handed_over_twice_at_once_ships_once():
    p = product(stock=5)
    order = released_order([(p, 2, "10.00")])
    [shipment] = shipments_of(order)
    outcomes = together(
        lambda: shipment_ship(shipment=shipment, tracking_number="SF1000000001", actor=ACTOR),
        lambda: shipment_ship(shipment=shipment, tracking_number="SF1000000002", actor=ACTOR),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidTransition", "ShipOutcome"]
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.SHIPPED
    assert StockMovement.objects.filter(kind=MovementKind.ISSUE).count() == 1
    stock = Stock.objects.get(product=p)
    assert (stock.on_hand, stock.reserved) == (3, 0)
    order.refresh_from_db()
    assert order.lines.get().quantity_shipped == 2


def test_the_last_unit_scanned_at_two_benches_counts_once():
    p = product(stock=5, barcode="6900000000017")
    order = released_order([(p, 1, "10.00")])
    [shipment] = shipments_of(order)
    outcomes = together(*(lambda: shipment_scan(shipment=shipment, code=p.barcode, actor=ACTOR) for _ in range(2)))
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 1 and refused[0].data["reason"] == "extra_quantity"
    assert shipment.lines.get().quantity_packed == 1
