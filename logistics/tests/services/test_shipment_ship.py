from decimal import Decimal

import pytest
from django_q.conf import Conf

from core.enums import Role
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from finance.invariants import ledger_problems
from finance.models import Account, EntryKind, JournalEntry
from finance.selectors import order_balances
from inventory.models import MovementKind, Stock, StockMovement
from inventory.selectors import stock_drift
from inventory.tests.factories import priority
from logistics.models import Shipment, ShipmentStatus
from logistics.notifications import MemoryBackend
from logistics.services import shipment_pack, shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of, warehouse
from orders.models import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, monkeypatch):
    settings.OMS_NOTIFICATION_BACKENDS = ["logistics.notifications.MemoryBackend"]
    monkeypatch.setattr(Conf, "SYNC", True)
    monkeypatch.setattr(MemoryBackend, "outbox", [])
    return MemoryBackend.outbox


def test_shipping_issues_stock_and_ships_the_order(outbox, django_capture_on_commit_callbacks):
    p = product(stock=10)
    order = released_order([(p, 3, "50.00")])
    [shipment] = shipments_of(order)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = shipment_ship(shipment=shipment, tracking_number="SF1234567890", weight_kg="1.5", actor=ACTOR)
    shipment = outcome.shipment
    assert outcome.remainder is None
    assert shipment.status == ShipmentStatus.SHIPPED and shipment.shipped_at is not None
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert order.lines.get().quantity_shipped == 3 and order.lines.get().quantity_reserved == 0
    stock = Stock.objects.get(product=p)
    assert (stock.on_hand, stock.reserved) == (7, 0)
    issue = StockMovement.objects.get(kind=MovementKind.ISSUE)
    assert (issue.on_hand_delta, issue.reserved_delta, issue.reference) == (-3, -3, shipment.number)
    assert stock_drift() == []
    event = order.events.filter(kind="status_changed").latest("pk")
    assert event.data["to"] == OrderStatus.SHIPPED and event.data["tracking_number"] == "SF1234567890"
    [sms] = outbox
    assert sms.phone == order.phone and "SF1234567890" in sms.body and "顺丰速运" in sms.body
    revenue = JournalEntry.objects.get(kind=EntryKind.REVENUE, order=order)
    assert revenue.reference == shipment.number
    balances = order_balances(order_id=order.pk)  # paid in advance: the advance became revenue
    assert balances[Account.ADVANCE] == 0 and balances[Account.RECEIVABLE] == 0
    assert balances[Account.REVENUE] + balances[Account.OUTPUT_VAT] == order.total
    assert ledger_problems(order_ids=[order.pk]) == []


def test_split_order_is_partially_shipped_until_the_last_shipment_leaves():
    sh, bj = warehouse("SH01"), warehouse("BJ01", name="北京仓", province="北京市", city="北京市")
    priority("浙江省", sh, bj)
    a, b = product(stock=5, at=sh), product(stock=5, at=bj)
    order = released_order([(a, 1, "10.00"), (b, 1, "10.00")])
    first, second = shipments_of(order)  # BJ01, SH01
    shipment_ship(shipment=first, tracking_number="SF0000000001", actor=ACTOR)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    shipment_ship(shipment=second, tracking_number="SF0000000002", actor=ACTOR)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert [e.data["to"] for e in order.events.filter(kind="status_changed")] == [
        OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED]


def test_shipping_part_leaves_the_rest_behind_in_a_new_shipment():
    a, b = product(stock=10), product(stock=10)
    order = released_order([(a, 3, "100.00"), (b, 1, "100.00")], cod=True, shipping_fee="0.00")
    [shipment] = shipments_of(order)
    line_a = order.lines.get(product=a)
    outcome = shipment_ship(shipment=shipment, tracking_number="SF0000000003", quantities={line_a.pk: 2},
                            actor=ACTOR)
    assert [(line.order_line_id, line.quantity, line.quantity_shipped) for line in outcome.shipment.lines.all()] == [
        (line_a.pk, 2, 2)]
    rest = outcome.remainder
    assert rest.status == ShipmentStatus.CREATED and rest.warehouse == shipment.warehouse
    assert sorted((line.order_line.sku, line.quantity) for line in rest.lines.all()) == sorted([(a.sku, 1), (b.sku, 1)])
    assert outcome.shipment.cod_amount == Decimal("200.00") and rest.cod_amount == Decimal("200.00")
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert Stock.objects.get(product=a).reserved == 1
    # Cash on delivery: what left is owed by the customer until the courier collects it.
    assert order_balances(order_id=order.pk)[Account.RECEIVABLE] == Decimal("200.00")
    shipment_ship(shipment=rest, tracking_number="SF0000000004", actor=ACTOR)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert sorted(order.lines.values_list("quantity_shipped", flat=True)) == [1, 3]
    assert order_balances(order_id=order.pk)[Account.RECEIVABLE] == order.total
    assert ledger_problems(order_ids=[order.pk]) == []


def test_refusals_change_nothing():
    p = product(stock=10)
    order = released_order([(p, 2, "50.00")])
    [shipment] = shipments_of(order)
    with pytest.raises(ValidationFailed) as exc:
        shipment_ship(shipment=shipment, actor=ACTOR)
    assert "tracking_number" in exc.value.errors
    line = order.lines.get()
    with pytest.raises(ValidationFailed) as exc:
        shipment_ship(shipment=shipment, tracking_number="SF1", quantities={line.pk: 3}, actor=ACTOR)
    assert f"lines.{line.pk}" in exc.value.errors
    other = released_order([(p, 1, "50.00")])
    shipment_ship(shipment=shipments_of(other)[0], tracking_number="SF1", actor=ACTOR)
    with pytest.raises(ValidationFailed) as exc:
        shipment_ship(shipment=shipment, tracking_number="SF1", actor=ACTOR)
    assert "tracking_number" in exc.value.errors
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CREATED and shipment.tracking_number == ""
    assert Stock.objects.get(product=p).reserved == 2
    assert not JournalEntry.objects.filter(kind=EntryKind.REVENUE, order=order).exists()
    shipped = shipments_of(other)[0]
    with pytest.raises(InvalidTransition):
        shipment_ship(shipment=shipped, actor=ACTOR)


def test_only_staff_allowed_to_hand_over(make_user):
    order = released_order([(product(), 1, "10.00")])
    [shipment] = shipments_of(order)
    clerk = make_user("packer", Role.WAREHOUSE)
    shipment_pack(shipment=shipment, actor=clerk, verify_scan=False)
    with pytest.raises(PermissionDenied):
        shipment_ship(shipment=shipment, actor=make_user("cs", Role.CUSTOMER_SERVICE))
    assert shipment_ship(shipment=shipment, actor=clerk).shipment.status == ShipmentStatus.SHIPPED
    assert Shipment.objects.get(pk=shipment.pk).tracking_number.startswith("SF")
