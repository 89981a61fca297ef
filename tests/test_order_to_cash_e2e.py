"""The forward flow of an order end to end, through the API and the webhooks only.

order (API) → automatic review → stock reserved → payment webhook → WMS `shipped` webhook → carrier
`delivered` webhook → completed; then the same for an order split over two warehouses and shipped
in two parts, and for cash on delivery. At every step the three flows are checked together: the
order's status (information), the stock ledger and levels (goods) and the journal (funds).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from finance.invariants import ledger_problems
from finance.models import Account, EntryKind, JournalEntry
from finance.selectors import order_balances
from inventory.models import Stock, StockMovement
from inventory.selectors import stock_drift
from inventory.tests.factories import priority, stock_up
from logistics.tests.factories import wms_warehouse
from oms.api.tests.factories import bearer, make_token
from oms.integrations.models import InboundEvent, InboundStatus, OutboxMessage
from oms.integrations.tests.helpers import post_signed
from oms.workflow import follow_ups
from orders.models import Order

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")


@pytest.fixture
def world(db):
    """Two warehouses run by WMSs, one SKU in each, and the province's priority table."""
    gz = wms_warehouse("GZ01", name="广州云仓", province="广东省", city="广州市")
    bj = wms_warehouse("BJ01", name="北京云仓", province="北京市", city="北京市", wms_code="CN-BJ-01")
    priority("浙江省", gz, bj)
    tee = ProductFactory(sku="SKU-001", name="纯棉圆领T恤 白色 L", price=Decimal("199.00"))
    mug = ProductFactory(sku="SKU-002", name="陶瓷马克杯 两只装", price=Decimal("89.00"))
    stock_up(tee, 10, gz)
    stock_up(mug, 10, bj)
    return {"gz": gz, "bj": bj, "tee": tee, "mug": mug}


class Flow:
    """Drives the API and the webhooks like the outside world does, and reads the three flows."""

    def __init__(self, client, capture):
        self.client, self.capture = client, capture
        _token, raw = make_token()
        self.auth = bearer(raw)
        self.order: Order | None = None
        self.events = 0

    # -- the outside world ----------------------------------------------------------------------------------
    def create_order(self, lines, *, payment=None, external_id="TM20261124000001"):
        total = sum(Decimal(price) * qty for _sku, qty, price in lines) + Decimal("10.00")
        body = {
            "channel": "tmall", "external_id": external_id, "ordered_at": "2026-11-24T10:15:00+08:00",
            "customer": {"name": "张三", "phone": "13812341234"},
            "shipping_address": {"recipient": "张三", "phone": "13812341234", "province": "浙江省",
                                 "city": "杭州市", "district": "西湖区", "detail": "文三路100号"},
            "lines": [{"sku": sku, "quantity": qty, "unit_price": price} for sku, qty, price in lines],
            "shipping_fee": "10.00",
        }
        if payment:
            paid = ZERO if payment == "cod" else total  # cash on delivery: nothing paid up front
            body["payment"] = {"method": payment, "paid_amount": f"{paid:.2f}", "transaction_id": f"T{external_id}"}
        with self.capture(execute=True):
            response = self.client.post("/api/v1/orders", data=json.dumps(body), content_type="application/json",
                                        **self.auth)
        assert response.status_code == 201, response.json()
        self.order = Order.objects.get(number=response.json()["number"])
        # What the django-q2 worker does after the commit: the order's follow-ups (invoice, shipments).
        follow_ups.run(self.order.pk)
        return response.json()

    def webhook(self, name, sender, payload):
        with self.capture(execute=True):
            response = post_signed(self.client, name, sender, payload)
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "accepted"
        event = InboundEvent.objects.get(kind=name.split("-")[1], sender=sender, event_id=payload["event_id"])
        assert event.status == InboundStatus.PROCESSED, event.last_error
        if self.order is not None:  # what the worker does after the commit: e.g. a payment's invoice, shipments
            follow_ups.run(self.order.pk)
        return response

    def pay(self, amount):
        return self.webhook("webhook-payments", "alipay", {
            "event_id": f"evt_{self.order.number}", "order_number": self.order.number, "status": "succeeded",
            "amount": amount, "transaction_id": f"2026{self.order.pk:010d}",
            "paid_at": timezone.localtime().isoformat()})

    def wms_shipped(self, warehouse, tracking, event_id, lines=None):
        body = {"event_id": event_id, "order_number": self.order.number, "event": "shipped", "carrier": "sf",
                "tracking_number": tracking, "weight_kg": "1.25"}
        if lines:
            body["lines"] = lines
        return self.webhook("webhook-wms", warehouse, body)

    def carrier(self, tracking, status, event_id):
        return self.webhook("webhook-carriers", "sf", {
            "event_id": event_id, "tracking_number": tracking, "status": status,
            "occurred_at": timezone.localtime().isoformat(), "location": "杭州", "description": "已签收"})

    # -- the three flows ---------------------------------------------------------------------------------------
    def api_order(self):
        response = self.client.get(f"/api/v1/orders/{self.order.number}", **self.auth)
        assert response.status_code == 200
        return response.json()

    def status(self):
        return self.api_order()["status"]

    def stock(self, product, warehouse):
        row = Stock.objects.get(product=product, warehouse=warehouse)
        return row.on_hand, row.reserved

    def movements(self):
        return sorted((m.kind, m.stock.warehouse.code, m.on_hand_delta, m.reserved_delta)
                      for m in StockMovement.objects.filter(order=self.order).select_related("stock__warehouse"))

    def balances(self):
        balances = order_balances(order_id=self.order.pk)
        return {account: balances[account] for account in
                (Account.BANK, Account.ADVANCE, Account.RECEIVABLE, Account.REVENUE, Account.OUTPUT_VAT)}

    def consistent(self):
        assert stock_drift() == [], "stock levels drifted from the ledger"
        assert ledger_problems(order_ids=[self.order.pk]) == []


@pytest.fixture
def flow(client, django_capture_on_commit_callbacks, settings):
    # The payment provider is not registered in the admin: it signs with its development secret.
    settings.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS = True
    return Flow(client, django_capture_on_commit_callbacks)


def test_prepaid_order_from_api_to_completed(world, flow):
    gz, tee = world["gz"], world["tee"]
    body = flow.create_order([("SKU-001", 2, "199.00")])
    # Review passed automatically; stock reserved in the nearest warehouse; nothing paid yet.
    assert body["status"] == "awaiting_payment" and body["lines"][0]["reserved"] == 2
    assert body["shipments"] == []
    assert flow.stock(tee, gz) == (10, 2)
    assert flow.movements() == [("reservation", "GZ01", 0, 2)]
    assert set(flow.balances().values()) == {ZERO}
    flow.consistent()

    flow.pay("408.00")
    order = flow.api_order()
    assert order["status"] == "awaiting_shipment" and order["paid"] == "408.00"
    [shipment] = order["shipments"]
    assert (shipment["warehouse"], shipment["status"], shipment["tracking_number"]) == ("GZ01", "created", "")
    assert flow.balances()[Account.BANK] == Decimal("408.00") and flow.balances()[Account.ADVANCE] == Decimal("408.00")
    instruction = OutboxMessage.objects.get(order_number=flow.order.number)
    assert instruction.destination == "GZ01" and instruction.payload["lines"][0]["sku"] == "SKU-001"
    assert flow.stock(tee, gz) == (10, 2)
    flow.consistent()

    flow.wms_shipped("GZ01", "SF1234567890", "wms_001")
    order = flow.api_order()
    assert order["status"] == "shipped" and order["lines"][0]["shipped"] == 2 and order["lines"][0]["reserved"] == 0
    assert order["shipments"][0]["tracking_number"] == "SF1234567890"
    assert flow.stock(tee, gz) == (8, 0)
    assert flow.movements() == [("issue", "GZ01", -2, -2), ("reservation", "GZ01", 0, 2)]
    balances = flow.balances()
    assert balances[Account.ADVANCE] == ZERO and balances[Account.RECEIVABLE] == ZERO
    assert balances[Account.REVENUE] + balances[Account.OUTPUT_VAT] == Decimal("408.00")
    assert balances[Account.REVENUE] == Decimal("361.06")  # 408 / 1.13, VAT 46.94
    assert JournalEntry.objects.get(order=flow.order, kind=EntryKind.REVENUE).reference == shipment["number"]
    flow.consistent()
    label = flow.client.get(f"/api/v1/orders/{flow.order.number}/documents/shipping-label.pdf", **flow.auth)
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"

    flow.carrier("SF1234567890", "in_transit", "trk_001")
    assert flow.api_order()["shipments"][0]["status"] == "in_transit" and flow.status() == "shipped"
    flow.carrier("SF1234567890", "delivered", "trk_002")
    order = flow.api_order()
    assert order["status"] == "completed" and order["shipments"][0]["status"] == "delivered"
    assert flow.stock(tee, gz) == (8, 0) and flow.balances()[Account.BANK] == Decimal("408.00")
    flow.consistent()
    kinds = [e["kind"] for e in flow.client.get(f"/api/v1/orders/{flow.order.number}/events", **flow.auth).json()]
    assert kinds[:3] == ["created", "stock_reserved", "review_passed"]
    assert "shipments_created" in kinds and "revenue_recognised" in kinds and "tracking" in kinds
    assert kinds[-1] == "status_changed"


def test_split_order_shipped_in_two_parts(world, flow):
    gz, bj, tee, mug = world["gz"], world["bj"], world["tee"], world["mug"]
    body = flow.create_order([("SKU-001", 1, "199.00"), ("SKU-002", 2, "89.00")], payment="alipay")
    assert body["status"] == "awaiting_shipment" and body["paid"] == "387.00"
    # Shipments are planned after commit (the order's follow-ups), one per reserving warehouse.
    assert body["shipments"] == []
    assert sorted(s["warehouse"] for s in flow.api_order()["shipments"]) == ["BJ01", "GZ01"]
    assert flow.stock(tee, gz) == (10, 1) and flow.stock(mug, bj) == (10, 2)
    assert OutboxMessage.objects.filter(order_number=flow.order.number).count() == 2
    flow.consistent()

    flow.wms_shipped("GZ01", "SF0000000001", "gz_1")
    order = flow.api_order()
    assert order["status"] == "partially_shipped"
    assert [line["shipped"] for line in order["lines"]] == [1, 0]
    assert flow.stock(tee, gz) == (9, 0) and flow.stock(mug, bj) == (10, 2)
    first = flow.balances()
    assert first[Account.REVENUE] + first[Account.OUTPUT_VAT] == Decimal("209.00")  # the T-shirt and the freight
    assert first[Account.ADVANCE] == Decimal("178.00")  # still owed to the customer in goods
    flow.consistent()

    flow.wms_shipped("BJ01", "SF0000000002", "bj_1")
    order = flow.api_order()
    assert order["status"] == "shipped" and [line["shipped"] for line in order["lines"]] == [1, 2]
    assert flow.stock(mug, bj) == (8, 0)
    second = flow.balances()
    assert second[Account.ADVANCE] == ZERO and second[Account.REVENUE] + second[Account.OUTPUT_VAT] == Decimal(
        "387.00")
    flow.consistent()

    flow.carrier("SF0000000001", "delivered", "t1")
    assert flow.status() == "shipped"  # one parcel still on its way
    flow.carrier("SF0000000002", "delivered", "t2")
    assert flow.status() == "completed"
    assert sorted(m[0] for m in flow.movements()) == ["issue", "issue", "reservation", "reservation"]
    flow.consistent()


def test_cash_on_delivery(world, flow):
    gz, tee = world["gz"], world["tee"]
    body = flow.create_order([("SKU-001", 3, "199.00")], payment="cod")
    assert body["status"] == "awaiting_shipment" and body["payment_status"] == "cod" and body["paid"] == "0.00"
    assert flow.stock(tee, gz) == (10, 3)
    assert set(flow.balances().values()) == {ZERO}
    flow.consistent()

    flow.wms_shipped("GZ01", "SF2000000001", "wms_cod")
    assert flow.status() == "shipped"
    assert flow.stock(tee, gz) == (7, 0)
    balances = flow.balances()
    assert balances[Account.RECEIVABLE] == Decimal("607.00")  # the courier will collect it
    assert balances[Account.BANK] == ZERO
    flow.consistent()

    flow.carrier("SF2000000001", "delivered", "trk_cod")
    order = flow.api_order()
    assert order["status"] == "completed" and order["paid"] == "607.00" and order["payment_status"] == "paid"
    balances = flow.balances()
    assert balances[Account.RECEIVABLE] == ZERO and balances[Account.BANK] == Decimal("607.00")
    assert flow.stock(tee, gz) == (7, 0)
    flow.consistent()
