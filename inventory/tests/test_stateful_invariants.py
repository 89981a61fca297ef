"""Random receipts, orders, cancels, shipments, returns, adjustments and transfers (hypothesis).

After every step: levels equal the ledger, lots add up to their stock rows, reservations back every
reserved unit and every line's `quantity_reserved`, nothing is reserved beyond stock on hand,
cancelled orders hold nothing, and the units in the system are exactly what a simple model of
the operations says. Bad requests must change nothing.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import transaction
from django.db.models import F, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule

from catalog.tests.factories import ProductFactory
from core.errors import DomainError, InsufficientStock
from inventory.models import Reservation, Stock, StockMovement
from inventory.selectors import order_reservations_by_warehouse, stock_drift
from inventory.services import (
    ReceiptLine,
    order_stock_reserve,
    return_stock_receive,
    returnable_quantity,
    shipment_stock_issue,
    stock_adjust,
    stock_receive,
    stock_transfer,
)
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, priority
from orders.models import Order, OrderLine, OrderStatus
from orders.services import order_cancel, order_line_quantities_set, order_pass_review, order_ship
from orders.tests.factories import create_order

WAREHOUSES = ("SH01", "BJ01", "GZ01")
KINDS_SEEN: set[str] = set()
PROVINCES = ("上海市", "北京市", "广东省", "四川省")


class InventoryMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint that teardown() rolls back: examples do not see each other.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.units = defaultdict(int)  # product pk → units the model expects on hand in all warehouses
        self.shipped_lines: set[int] = set()

    @initialize()
    def setup(self):
        whs = [WarehouseFactory(code="SH01", province="上海市"), WarehouseFactory(code="BJ01", province="北京市"),
               WarehouseFactory(code="GZ01", province="广东省")]
        priority("上海市", whs[0], whs[1], whs[2])
        priority("北京市", whs[1], whs[0], whs[2])
        self.products = [ProductFactory(sku=f"HYP-{i}") for i in range(3)]
        for wh in whs[:2]:  # some stock to start with, so orders reserve and ship early on
            stock_receive(warehouse=wh, lines=[ReceiptLine(sku=p.sku, quantity=4) for p in self.products],
                          actor=TEST_ACTOR)
        for p in self.products:
            self.units[p.pk] += 8

    def teardown(self):
        KINDS_SEEN.update(StockMovement.objects.values_list("kind", flat=True).distinct())
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- operations ------------------------------------------------------------------------------
    @rule(p=st.integers(0, 2), wh=st.sampled_from(WAREHOUSES), qty=st.integers(1, 6))
    def receive(self, p, wh, qty):
        stock_receive(warehouse=wh, lines=[ReceiptLine(sku=self.products[p].sku, quantity=qty)], actor=TEST_ACTOR)
        self.units[self.products[p].pk] += qty

    @rule(target=orders, picks=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4)), min_size=1, max_size=3,
                                        unique_by=lambda t: t[0]),
          province=st.sampled_from(PROVINCES), cod=st.sampled_from([True, True, True, False]))
    def place_order(self, picks, province, cod):
        order = create_order(lines=[(self.products[p], q) for p, q in picks], province=province,
                             payment_method="cod" if cod else "")
        try:
            order_stock_reserve(order=order, actor=TEST_ACTOR)
        except InsufficientStock:
            assert not Reservation.objects.filter(order=order).exists()  # all or nothing
        else:
            order_pass_review(order=order, actor=TEST_ACTOR)
        return order.pk

    @rule(order_id=orders)
    def cancel(self, order_id):
        order = Order.objects.get(pk=order_id)
        try:
            order_cancel(order=order, reason="测试取消", actor=None)
        except DomainError:
            assert order.status not in (OrderStatus.PENDING_REVIEW, OrderStatus.AWAITING_PAYMENT,
                                        OrderStatus.AWAITING_SHIPMENT)

    @rule(order_id=orders, data=st.data())
    def ship(self, order_id, data):
        order = Order.objects.get(pk=order_id)
        groups = order_reservations_by_warehouse(order=order)
        if order.status not in (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED) or not groups:
            return
        group = data.draw(st.sampled_from(groups))
        quantities = {line_id: data.draw(st.integers(1, qty)) for line_id, qty in group.lines.items()}
        shipment_stock_issue(order=order, warehouse=group.warehouse_code, quantities=quantities,
                             reference=f"SHP-{order_id}", actor=TEST_ACTOR)
        shipped = {}
        for line in order.lines.all():
            shipped[line.pk] = line.quantity_shipped + quantities.get(line.pk, 0)
            self.units[line.product_id] -= quantities.get(line.pk, 0)
        self.shipped_lines.update(quantities)
        # What the logistics stage does around the issue: shipped summaries, then the order's state.
        order_line_quantities_set(lines={pk: {"quantity_shipped": qty} for pk, qty in shipped.items()})
        fully = all(line.quantity == shipped[line.pk] for line in order.lines.all())
        order_ship(order=order, fully=fully, actor=TEST_ACTOR, message="发货")

    @precondition(lambda self: self.shipped_lines)
    @rule(wh=st.sampled_from(WAREHOUSES), quarantine=st.booleans(), data=st.data())
    def customer_return(self, wh, quarantine, data):
        line = OrderLine.objects.get(pk=data.draw(st.sampled_from(sorted(self.shipped_lines))))
        returnable = returnable_quantity(order_line=line)
        if not returnable:
            self.shipped_lines.discard(line.pk)
            return
        qty = data.draw(st.integers(1, returnable))
        return_stock_receive(order_line=line, warehouse=wh, quantity=qty,
                             disposition="quarantine" if quarantine else "restock", reference=f"RMA-{line.pk}",
                             actor=TEST_ACTOR)
        if not quarantine:
            self.units[line.product_id] += qty

    @rule(p=st.integers(0, 2), wh=st.sampled_from(WAREHOUSES), change=st.integers(-5, 5).filter(bool))
    def adjust(self, p, wh, change):
        try:
            stock_adjust(warehouse=wh, sku=self.products[p].sku, quantity_change=change, reason="盘点差异",
                         actor=TEST_ACTOR)
        except InsufficientStock:
            return
        self.units[self.products[p].pk] += change

    @rule(p=st.integers(0, 2), src=st.sampled_from(WAREHOUSES), dst=st.sampled_from(WAREHOUSES),
          qty=st.integers(1, 5))
    def transfer(self, p, src, dst, qty):
        if src == dst:
            return
        try:
            stock_transfer(source=src, destination=dst, sku=self.products[p].sku, quantity=qty, reason="调拨",
                           actor=TEST_ACTOR)
        except InsufficientStock:
            pass  # transfers move units, the total does not change either way

    @rule(p=st.integers(0, 2), bad=st.sampled_from(["zero", "negative", "warehouse", "sku", "beyond"]))
    def bad_request_changes_nothing(self, p, bad):
        before = StockMovement.objects.count()
        sku = self.products[p].sku
        with pytest.raises(DomainError):
            if bad == "zero":
                stock_receive(warehouse="SH01", lines=[ReceiptLine(sku=sku, quantity=0)], actor=TEST_ACTOR)
            elif bad == "negative":
                stock_transfer(source="SH01", destination="BJ01", sku=sku, quantity=-1, reason="x", actor=TEST_ACTOR)
            elif bad == "warehouse":
                stock_adjust(warehouse="NOWHERE", sku=sku, quantity_change=1, reason="x", actor=TEST_ACTOR)
            elif bad == "sku":
                stock_receive(warehouse="SH01", lines=[ReceiptLine(sku="NOPE", quantity=1)], actor=TEST_ACTOR)
            else:
                stock_transfer(source="SH01", destination="BJ01", sku=sku, quantity=10_000, reason="x",
                               actor=TEST_ACTOR)
        assert StockMovement.objects.count() == before

    # -- invariants ------------------------------------------------------------------------------
    @precondition(lambda self: hasattr(self, "products"))
    @invariant()
    def ledger_and_levels_agree(self):
        assert stock_drift() == []

    @precondition(lambda self: hasattr(self, "products"))
    @invariant()
    def never_reserved_beyond_on_hand(self):
        assert not Stock.objects.filter(reserved__gt=F("on_hand")).exists()

    @precondition(lambda self: hasattr(self, "products"))
    @invariant()
    def units_match_the_model(self):
        for product in self.products:
            on_hand = Stock.objects.filter(product=product).aggregate(q=Sum("on_hand"))["q"] or 0
            assert on_hand == self.units[product.pk]

    @precondition(lambda self: hasattr(self, "products"))
    @invariant()
    def orders_hold_what_their_state_allows(self):
        for order in Order.objects.prefetch_related("lines"):
            open_reservations = Reservation.objects.filter(order=order, quantity__gt=0).exists()
            if order.status == OrderStatus.CANCELLED:
                assert not open_reservations
            for line in order.lines.all():
                sums = Reservation.objects.filter(order_line=line).aggregate(q=Sum("quantity"),
                                                                              i=Sum("quantity_issued"))
                assert (sums["q"] or 0) == line.quantity_reserved
                assert (sums["q"] or 0) + (sums["i"] or 0) in (0, line.quantity)  # all or nothing per order


# derandomize: the same 20 runs every time, so CI cannot fail on a lucky draw (and the coverage
# assertion below is stable); raise max_examples locally to explore further.
InventoryMachine.TestCase.settings = settings(
    max_examples=20, stateful_step_count=25, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.django_db
def test_inventory_invariants_hold_under_random_operations():
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(InventoryMachine, settings=InventoryMachine.TestCase.settings)
    # The random runs reached every kind of movement, not just receipts.
    assert KINDS_SEEN >= {"receipt", "reservation", "release", "issue", "return", "adjustment", "transfer_out"}
