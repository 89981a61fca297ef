"""Factories for after-sales tests: orders in the states returns start from, built through real services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from aftersales.models import ReturnPolicy, ReturnReason
from aftersales.services import ReturnLineInput, return_request_create
from oms.catalog.tests.factories import ProductFactory
from oms.core.actors import SYSTEM
from orders import services as order_services
from orders.models import OrderEvent
from orders.tests.factories import create_order


def paid_order(*, lines=None, shipping_fee="10.00", method="alipay", **kwargs):
    """An order paid in full and released for shipment."""
    order = create_order(lines=lines or [(ProductFactory(), 2, "199.00")], shipping_fee=shipping_fee, **kwargs)
    order = order_services.order_set_funds(order=order, paid_amount=order.total, refunded_amount=Decimal("0"),
                                           payment_method=method, actor=SYSTEM, message="paid")
    return order_services.order_pass_review(order=order, actor=SYSTEM)


def ship_all(order):
    order_services.order_line_quantities_set(
        lines={line.pk: {"quantity_shipped": line.quantity} for line in order.lines.all()})
    return order_services.order_ship(order=order, fully=True, actor=SYSTEM, message="shipped")


def deliver(order, *, days_ago: int = 1):
    order = order_services.order_complete(order=order, actor=SYSTEM, message="delivered")
    OrderEvent.objects.filter(order=order, kind="status_changed", data__to="completed").update(
        at=timezone.now() - timedelta(days=days_ago))
    return order


def delivered_order(*, days_ago: int = 1, **kwargs):
    return deliver(ship_all(paid_order(**kwargs)), days_ago=days_ago)


def reason(code="no_reason") -> ReturnReason:
    return ReturnReason.objects.get(code=code)


def default_policy() -> ReturnPolicy:
    return ReturnPolicy.objects.get(channel__isnull=True)


def request_for(order, *, kind="return", reason_code="no_reason", lines=None, actor=SYSTEM, **kwargs):
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
