"""The bare references of `bench/intake.py`: plain DRF views, no OMS services, beside OMS's intake.

Both answer `POST` with token authentication, JSON parsing and validation by one serializer, an
idempotency check on (channel, external_id) — 200 with the earlier order if it is there — and a
JSON answer; both are served by one gunicorn with `bench/intake_bare_settings.py` (OMS's settings,
database and middleware with this URLconf).

**bare** (`api/v1/orders`): what any Django + DRF service pays to accept an order. The order row
(with its audit-history row, as OMS's model has one) and its lines in one transaction; one customer
for every order, looked up once per worker. No customer matching, payment, review, stock or
timeline: those are what OMS adds.

**bare, same job** (`api/v1/orders/same-job`): the minimum of the job OMS's intake and its follow-up
job do, written as plain ORM calls inline in one `transaction.atomic()` in the request, so that the
same rows land in the same tables:

- the customer found by its phone's blind index, created when missing (per request);
- the order (created once, in its final status and funds summary) and its lines;
- the minimum review: a payment that is not cash on delivery must equal the order total, else the
  order goes on hold (`payment_mismatch`) and nothing is reserved;
- a payment the channel reports (paid amount > 0): the `Payment` row and its journal entry (Dr bank,
  Cr advance receipts: a new order has no receivable) with its two lines; the order's paid amount,
  method and payment status as the finance stage sets them;
- for an order not held: its stock rows locked (`SELECT … FOR UPDATE`, stock in the first active
  warehouse that ships online orders and holds all of it) and their sellable, unexpired lots read
  under that lock, first in first out; lots', stock rows' and lines' reserved units, one reservation
  and one stock-ledger row per line and lot; status awaiting shipment (awaiting payment without a
  payment);
- one timeline event;
- in the request rather than after commit: for an order released paid in full, the invoice and its
  lines (goods at each line's tax rate, the shipping fee at `OMS_SHIPPING_TAX_RATE`); for an order
  released for shipment, its shipment and shipment lines (cash to collect for COD).

What it does not do compared with OMS: no review-rules engine or automation rules (one built-in
check; no phone, address, amount or duplicate checks), no allocation strategy or province priorities
(one warehouse), no django-fsm transitions (statuses are set directly) and no hooks (no outbound
webhooks, no WMS instruction), one timeline event instead of one per step (created, payment, stock,
review, invoice, shipments), no audit history beyond the models' own (`HistoricalRecords` writes one
row for the order and one for a new customer), no follow-up records and no job queue: the invoice and
the shipment are written in the request. Order, journal-entry and shipment numbers are uuid-based
(`BS…`, `JE…`, `SH…`), not taken from gapless daily counters; the invoice number alone comes from
OMS's gapless counter (`core.numbering.next_value`, a row lock held until commit, as OMS's job
holds it), because the books' invariant (`finance.invariants.ledger_problems`) requires
`INV-<year>-<6 digits>` numbers without gaps. A stock shortage (none in the benchmark) puts the order
on hold with one more UPDATE, bypassing its history row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import path
from django.utils import timezone
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Product
from core.fieldcrypto import blind_index
from core.money import ZERO, to_money
from core.numbering import next_value
from finance.models import (
    Account,
    EntryKind,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentSource,
    PaymentState,
)
from finance.tax import shipping_tax_rate, split_gross
from inventory.models import Lot, MovementKind, Reservation, Stock, StockMovement
from logistics.models import Shipment, ShipmentLine
from oms.api.scopes import Scope
from orders.models import (
    Channel,
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
)


class LineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, default=0)


class AddressSerializer(serializers.Serializer):
    recipient = serializers.CharField()
    phone = serializers.CharField()
    province = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    detail = serializers.CharField()
    postal_code = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class BareOrderSerializer(serializers.Serializer):
    channel = serializers.CharField()
    external_id = serializers.CharField()
    ordered_at = serializers.DateTimeField()
    customer = serializers.DictField()
    shipping_address = AddressSerializer()
    lines = LineSerializer(many=True)
    shipping_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    payment = serializers.DictField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, allow_null=True)


_customer_id: dict[str, int] = {}


class BareOrderCreate(APIView):
    required_scopes = {"POST": (Scope.ORDERS_WRITE,)}

    def post(self, request):
        serializer = BareOrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        channel = Channel.objects.get(code=data["channel"])
        earlier = Order.objects.filter(channel=channel, external_id=data["external_id"]).first()
        if earlier is not None:
            return Response({"number": earlier.number, "status": earlier.status}, status=200)
        if "id" not in _customer_id:
            # The phone is encrypted at rest: found again through its blind index, as the intake does.
            known = Customer.objects.filter(name="基准客户", phone_index=blind_index("phone", "13800000000")).first()
            _customer_id["id"] = (known or Customer.objects.create(name="基准客户", phone="13800000000")).pk
        products = {p.sku: p for p in Product.objects.filter(sku__in=[line["sku"] for line in data["lines"]])}
        address = data["shipping_address"]
        lines = [OrderLine(product=products[line["sku"]], sku=line["sku"], name=products[line["sku"]].name,
                           quantity=line["quantity"], unit_price=line["unit_price"], discount=line["discount"],
                           amount=line["unit_price"] * line["quantity"] - line["discount"])
                 for line in data["lines"]]
        subtotal = sum(line.unit_price * line.quantity for line in lines)
        discount = sum(line.discount for line in lines)
        with transaction.atomic():
            order = Order.objects.create(
                number=f"BR{uuid.uuid4().hex[:20]}", channel=channel, external_id=data["external_id"],
                customer_id=_customer_id["id"], recipient=address["recipient"], phone=address["phone"],
                province=address["province"], city=address["city"], district=address.get("district") or "",
                address_detail=address["detail"], subtotal=subtotal, discount_total=discount,
                shipping_fee=data["shipping_fee"], total=subtotal - discount + data["shipping_fee"],
                ordered_at=data["ordered_at"])
            for line in lines:
                line.order = order
            OrderLine.objects.bulk_create(lines)
        return Response({"number": order.number, "status": order.status, "total": f"{order.total:.2f}",
                         "lines": [{"sku": line.sku, "quantity": line.quantity} for line in lines]}, status=201)


# -- bare, same job ----------------------------------------------------------------------------------

PAYMENT_MISMATCH = "payment_mismatch"  # oms.workflow.checks.HoldCode's codes, as OMS stores them
STOCK_SHORTAGE = "stock_shortage"


def _payment_status(*, method: str, paid, total) -> str:
    """`orders.services.funds.payment_status_for` of a new order (nothing refunded)."""
    if paid <= 0:
        return PaymentStatus.COD if method == PaymentMethod.COD else PaymentStatus.UNPAID
    if paid < total:
        return PaymentStatus.PARTIALLY_PAID
    return PaymentStatus.OVERPAID if paid > total else PaymentStatus.PAID


class BareSameJobOrderCreate(APIView):
    """The order, its payment and books, the review's payment check, the FIFO reservation, one timeline
    event, the invoice and the shipment: all in the request, in one transaction (module docstring)."""

    required_scopes = {"POST": (Scope.ORDERS_WRITE,)}

    def post(self, request):
        serializer = BareOrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = data.get("payment") or {}
        method = payment.get("method") or ""
        try:
            paid = to_money(str(payment.get("paid_amount") or "0"))
        except ValueError:
            paid = None
        if (method and method not in PaymentMethod.values) or paid is None or paid < 0:
            raise serializers.ValidationError({"payment": ["Unknown method or not an amount of money."]})
        channel = Channel.objects.get(code=data["channel"])
        earlier = Order.objects.filter(channel=channel, external_id=data["external_id"]).first()
        if earlier is not None:
            return Response({"number": earlier.number, "status": earlier.status}, status=200)
        try:
            with transaction.atomic():
                order, status, lines = _store(data=data, channel=channel, method=method, paid=paid,
                                              transaction_id=str(payment.get("transaction_id") or ""),
                                              actor=str(request.user))
        except IntegrityError:
            # The same channel order stored meanwhile by a concurrent request: its unique constraint.
            earlier = Order.objects.filter(channel=channel, external_id=data["external_id"]).first()
            if earlier is None:
                raise
            return Response({"number": earlier.number, "status": earlier.status}, status=200)
        return Response({"number": order.number, "status": status, "total": f"{order.total:.2f}",
                         "lines": [{"sku": line.sku, "quantity": line.quantity,
                                    "quantity_reserved": line.quantity_reserved} for line in lines]}, status=201)


def _store(*, data, channel, method: str, paid, transaction_id: str, actor: str):
    """Everything of one order, inside the caller's transaction: returns (order, its status, lines)."""
    now = timezone.now()
    address = data["shipping_address"]
    buyer = data["customer"]
    phone = str(buyer.get("phone") or address["phone"])
    customer = Customer.objects.filter(phone_index=blind_index("phone", phone)).order_by("pk").first()
    if customer is None:
        customer = Customer.objects.create(name=str(buyer.get("name") or address["recipient"]), phone=phone,
                                           email=str(buyer.get("email") or ""))
    products = {p.sku: p for p in Product.objects.filter(sku__in=[line["sku"] for line in data["lines"]])}
    lines = [OrderLine(product=products[line["sku"]], sku=line["sku"], name=products[line["sku"]].name,
                       quantity=line["quantity"], unit_price=line["unit_price"], discount=line["discount"],
                       amount=line["unit_price"] * line["quantity"] - line["discount"],
                       tax_rate=products[line["sku"]].tax_rate)
             for line in data["lines"]]
    subtotal = sum((line.unit_price * line.quantity for line in lines), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    shipping_fee = to_money(data["shipping_fee"])
    total = subtotal - discount + shipping_fee

    # The review's one check: a payment that is not cash on delivery is the order total.
    held = bool(method) and method != PaymentMethod.COD and paid != total
    settled = method == PaymentMethod.COD or (paid > 0 and paid >= total)
    status = (OrderStatus.ON_HOLD if held else
              OrderStatus.AWAITING_SHIPMENT if settled else OrderStatus.AWAITING_PAYMENT)
    order = Order.objects.create(
        number=f"BS{uuid.uuid4().hex[:20]}", channel=channel, external_id=data["external_id"], customer=customer,
        recipient=address["recipient"], phone=address["phone"], province=address["province"],
        city=address["city"], district=address.get("district") or "", address_detail=address["detail"],
        postal_code=address.get("postal_code") or "", status=status,
        hold_reasons=[PAYMENT_MISMATCH] if held else [], payment_method=method,
        payment_status=_payment_status(method=method, paid=paid, total=total), subtotal=subtotal,
        discount_total=discount, shipping_fee=shipping_fee, total=total, paid_amount=paid,
        note=data.get("note") or "", ordered_at=data["ordered_at"], created_at=now)
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)

    if paid > 0:  # the channel reports money received: the payment and its journal entry
        payment = Payment.objects.create(
            order=order, method=method, source=PaymentSource.CHANNEL, provider=channel.code,
            transaction_id=transaction_id.strip(), amount=paid, status=PaymentState.SUCCEEDED, paid_at=now,
            created_at=now, actor_name=actor)
        entry = JournalEntry.objects.create(
            number=f"JE{uuid.uuid4().hex[:20]}", kind=EntryKind.PAYMENT, order=order,
            reference=f"payment:{payment.pk}", description=f"订单 {order.number} 收款 ¥{paid:,.2f}（{method}）",
            posted_at=now, actor_name=actor, payment=payment)
        JournalLine.objects.bulk_create([JournalLine(entry=entry, account=Account.BANK, debit=paid, credit=ZERO),
                                         JournalLine(entry=entry, account=Account.ADVANCE, debit=ZERO, credit=paid)])

    warehouse = None
    if not held:
        warehouse = _reserve(order=order, lines=lines, actor=actor, at=now)
        if warehouse is None:  # short of stock: on hold, nothing reserved (never in the benchmark)
            held, status = True, OrderStatus.ON_HOLD
            Order.objects.filter(pk=order.pk).update(status=status, hold_reasons=[STOCK_SHORTAGE])

    OrderEvent.objects.bulk_create([OrderEvent(
        order=order, at=now, kind="held" if held else "review_passed", actor_name=actor,
        message=(f"订单已创建，合计 ¥{total:,.2f}；" + ("已挂起（付款金额不符或库存不足）" if held else "库存已预留")),
        data={"channel": channel.code, "external_id": order.external_id, "total": f"{total:.2f}",
              "status": status, "paid": f"{paid:.2f}"})])

    if status == OrderStatus.AWAITING_SHIPMENT:
        shipment = Shipment.objects.create(
            number=f"SH{uuid.uuid4().hex[:20]}", order=order, warehouse=warehouse,
            carrier=settings.OMS_WAREHOUSE_CARRIERS.get(warehouse.code) or settings.OMS_DEFAULT_CARRIER,
            cod_amount=total - paid if method == PaymentMethod.COD else ZERO, created_at=now)
        ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, order_line=line, quantity=line.quantity)
                                          for line in lines])
        if settings.OMS_INVOICE_ON_PAYMENT and total > 0 and paid >= total:
            _invoice(order=order, customer=customer, lines=lines, actor=actor, at=now)
    return order, status, lines


def _reserve(*, order: Order, lines: list[OrderLine], actor: str, at):
    """Reserve every unit of the order's lines, first in first out, in one warehouse; return it (None
    when no warehouse holds all of it: nothing is reserved then)."""
    needed: dict[int, int] = defaultdict(int)
    for line in lines:
        needed[line.product_id] += line.quantity
    # Locked in pk order (the warehouse rows joined for their flags are not locked).
    stocks = list(Stock.objects.select_for_update(of=("self",)).select_related("warehouse")
                  .filter(product_id__in=list(needed), warehouse__active=True, warehouse__allocatable=True)
                  .order_by("pk"))
    # Lots change only under their stock row's lock: read, not locked, like OMS's reservation.
    lots: dict[int, list[Lot]] = defaultdict(list)
    for lot in (Lot.objects.filter(stock__in=[s.pk for s in stocks], quarantined=False, reserved__lt=F("quantity"))
                .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gte=timezone.localdate(at)))
                .order_by("received_at", "pk")):
        lots[lot.stock_id].append(lot)
    by_warehouse: dict[int, dict[int, Stock]] = defaultdict(dict)
    for stock in stocks:
        by_warehouse[stock.warehouse_id][stock.product_id] = stock
    for warehouse_id in sorted(by_warehouse):
        here = by_warehouse[warehouse_id]
        if all(product_id in here and min(here[product_id].available,
                                          sum(lot.quantity - lot.reserved for lot in lots[here[product_id].pk]))
               >= quantity for product_id, quantity in needed.items()):
            break
    else:
        return None
    reservations, movements, touched = [], [], {}
    for line in lines:
        stock, wanted = here[line.product_id], line.quantity
        for lot in lots[stock.pk]:
            take = min(wanted, lot.quantity - lot.reserved)
            if take <= 0:
                continue
            lot.reserved += take
            stock.reserved += take
            touched[lot.pk] = lot
            reservations.append(Reservation(order=order, order_line=line, stock=stock, lot=lot, quantity=take,
                                            created_at=at))
            movements.append(StockMovement(at=at, kind=MovementKind.RESERVATION, stock=stock, lot=lot,
                                           reserved_delta=take, reference=order.number, reason="Reserved for order",
                                           order=order, order_line=line, actor_name=actor))
            wanted -= take
            if not wanted:
                break
        stock.updated_at = at
        line.quantity_reserved = line.quantity
    Lot.objects.bulk_update(list(touched.values()), ["reserved"])
    Stock.objects.bulk_update([here[product_id] for product_id in needed], ["reserved", "updated_at"])
    Reservation.objects.bulk_create(reservations)
    StockMovement.objects.bulk_create(movements)
    OrderLine.objects.bulk_update(lines, ["quantity_reserved"])
    return here[lines[0].product_id].warehouse


def _invoice(*, order: Order, customer: Customer, lines: list[OrderLine], actor: str, at) -> Invoice:
    """The order's VAT invoice: one line per order line and one for the shipping fee, split net / tax."""
    rows = []
    for position, line in enumerate(lines, start=1):
        net, tax = split_gross(line.amount, line.tax_rate)
        rows.append(InvoiceLine(position=position, sku=line.sku, name=line.name, quantity=line.quantity,
                                unit_price=line.unit_price, discount=line.discount, gross=line.amount, net=net,
                                tax_rate=line.tax_rate, tax=tax))
    if order.shipping_fee > 0:
        rate = shipping_tax_rate()
        net, tax = split_gross(order.shipping_fee, rate)
        rows.append(InvoiceLine(position=len(rows) + 1, name="运费", quantity=1, unit_price=order.shipping_fee,
                                gross=order.shipping_fee, net=net, tax_rate=rate, tax=tax))
    year = timezone.localdate(at).year
    invoice = Invoice.objects.create(
        number=f"INV-{year}-{next_value(f'INV-{year}'):06d}", order=order, issued_at=at, actor_name=actor,
        buyer_name=customer.name, seller=dict(settings.OMS_SELLER),
        total=sum((row.gross for row in rows), ZERO), net_total=sum((row.net for row in rows), ZERO),
        tax_total=sum((row.tax for row in rows), ZERO))
    for row in rows:
        row.invoice = invoice
    InvoiceLine.objects.bulk_create(rows)
    return invoice


urlpatterns = [
    path("api/v1/orders", BareOrderCreate.as_view()),
    path("api/v1/orders/same-job", BareSameJobOrderCreate.as_view()),
]
