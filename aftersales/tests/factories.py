"""Factories for after-sales tests: orders in the states returns start from, built through real services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from aftersales.models import ReturnPolicy, ReturnReason
from aftersales.services import ReturnLineInput, return_request_create
from catalog.tests.factories import ProductFactory
from core.actors import SystemActor
from finance import services as finance
from finance.models import PaymentSource
from finance.tests.factories import paid_order
from inventory.models import Bin, Stock, Warehouse
from inventory.tests.factories import BinFactory, WarehouseFactory, stock_up
from logistics.models import IN_WAREHOUSE_STATUSES, ShipmentStatus
from logistics.services import shipment_ship, shipment_track

ACTOR = SystemActor("test")
_waybills = iter(range(1, 10**9))


def warehouse(code="SH01", **kwargs) -> Warehouse:
    """A warehouse with a storage bin and a quarantine bin for returned goods."""
    defaults = {"name": "上海仓", "province": "上海市", "city": "上海市"}
    defaults.update(kwargs)
    made = WarehouseFactory(code=code, **defaults)
    BinFactory(warehouse=made, code="A-01", kind=Bin.Kind.STORAGE)
    BinFactory(warehouse=made, code="QC-01", kind=Bin.Kind.QUARANTINE)
    return made


def stocked(product, quantity: int = 100, at: Warehouse | None = None):
    at = at or warehouse()
    if not Stock.objects.filter(product=product, warehouse=at).exists():
        stock_up(product, quantity, warehouse=at)
    return product


def pay(order, *, amount=None, method="alipay"):
    """Money in through the finance stage (journal, payment row), as the channel or finance records it."""
    amount = order.total if amount is None else Decimal(amount)
    if method == "bank_transfer":
        finance.bank_transfer_register(order=order, amount=amount, reference=f"B{next(_waybills)}", actor=ACTOR)
    else:
        finance.payment_record(order=order, amount=amount, method=method, source=PaymentSource.CHANNEL,
                               provider=method, transaction_id=f"T{next(_waybills)}", actor=ACTOR)
    order.refresh_from_db()
    return order


def invoiced_order(*, lines=None, at: Warehouse | None = None, invoice: bool = True, **kwargs):
    """An order paid in full, its stock reserved (at `at`), released for shipment (its shipments are
    planned) and invoiced: `finance.tests.factories.paid_order` with reservation and invoice, as the
    review pipeline leaves an order that arrived paid."""
    lines = lines or [(ProductFactory(), 2, "199.00")]
    for item in lines:
        stocked(item[0], at=at)
    return paid_order(lines=lines, reserve=True, invoice=invoice, actor=ACTOR, **kwargs)


def ship_all(order):
    """Every planned shipment leaves the warehouse with a waybill (stock issued by the real services)."""
    for shipment in order.shipments.filter(status__in=IN_WAREHOUSE_STATUSES).order_by("pk"):
        lines = {line.order_line_id: line.quantity - line.quantity_shipped for line in shipment.lines.all()}
        shipment_ship(shipment=shipment, actor=ACTOR, tracking_number=f"SF{next(_waybills):010d}")
        recognise_revenue(order, shipment.number, lines)
    order.refresh_from_db()
    return order


def recognise_revenue(order, reference, lines):
    """Revenue at shipment, as the logistics stage does once it is wired to finance (idempotent on the
    shipment number, so it is a no-op where logistics already did it)."""
    finance.revenue_recognise(order=order, reference=reference, lines={k: v for k, v in lines.items() if v},
                              actor=ACTOR)


def deliver(order, *, days_ago: int = 1):
    """Every shipment that left is delivered `days_ago` days ago (the return window counts from it)."""
    when = timezone.now() - timedelta(days=days_ago)
    for shipment in order.shipments.filter(status__in=[ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT]):
        shipment_track(shipment=shipment, status="delivered", occurred_at=when, actor=ACTOR, description="已签收")
    order.refresh_from_db()
    return order


def delivered_order(*, days_ago: int = 1, **kwargs):
    return deliver(ship_all(invoiced_order(**kwargs)), days_ago=days_ago)


def reason(code="no_reason") -> ReturnReason:
    return ReturnReason.objects.get(code=code)


def default_policy() -> ReturnPolicy:
    return ReturnPolicy.objects.get(channel__isnull=True)


def request_for(order, *, kind="return", reason_code="no_reason", lines=None, actor=ACTOR, **kwargs):
    """A request for every unit of every line unless `lines=[(sku, qty), …]` says otherwise."""
    if lines is None:
        lines = [(line.sku, line.quantity) for line in order.lines.all()]
    inputs = [ReturnLineInput(sku=item[0], quantity=item[1], exchange_sku=item[2] if len(item) > 2 else "")
              for item in lines]
    return return_request_create(order=order, kind=kind, reason=reason_code, lines=inputs, actor=actor, **kwargs)


def png_upload(name="photo.png", color=(200, 30, 30)):
    """A real (tiny) PNG as an uploaded file."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def approve(request, actor, comment="同意"):
    from aftersales.services import return_request_approve

    return return_request_approve(request=request, actor=actor, comment=comment)


def receive_all(request, actor, warehouse="SH01", counts=None):
    from aftersales.services import return_request_receive

    counts = counts or {line.pk: line.quantity for line in request.lines.all()}
    return return_request_receive(request=request, counts=counts, warehouse=warehouse, actor=actor)


def inspect_all(request, actor, results=None):
    """QC: every received unit passes unless `results={line_id: LineInspection(...)}` says otherwise."""
    from aftersales.services import LineInspection, return_request_inspect

    if results is None:
        results = {line.pk: LineInspection(passed=line.quantity_received) for line in request.lines.all()}
    return return_request_inspect(request=request, results=results, actor=actor)
