"""Demo data of the after-sales stage (called by `oms.workflow.demo.seed_all`). Idempotent.

Delivered demo orders get return requests at every step of the workbench, through the services:
one waiting for a decision, one whose parcel is on its way, one received and waiting for QC,
one inspected and waiting for the refund, one refunded, and an exchange.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from aftersales.models import ReturnRequest
from aftersales.services import (
    LineInspection,
    ReturnLineInput,
    return_request_approve,
    return_request_create,
    return_request_inspect,
    return_request_receive,
    return_request_refund,
    return_request_register_parcel,
)
from core.actors import SystemActor
from core.errors import DomainError
from orders.models import Order, OrderStatus

DEMO = SystemActor("demo_data")
PLAN = [
    # (kind, reason, how far, description)
    ("return", "no_reason", "requested", "不喜欢颜色"),
    ("return", "wrong_size", "in_transit", "尺码偏小"),
    ("return", "quality", "received", "用了两天就坏了"),
    ("return", "damaged_in_transit", "inspected", "外包装破损，商品有划痕"),
    ("return", "quality", "refunded", "做工有瑕疵"),
    ("exchange", "wrong_size", "received", "换大一码"),
]


def _user(username):
    return get_user_model().objects.filter(username=username).first() or DEMO


def seed_aftersales() -> int:
    orders = list(Order.objects.filter(external_id__startswith="DEMO-", status=OrderStatus.COMPLETED)
                  .prefetch_related("lines").order_by("pk")[:len(PLAN)])
    clerk, warehouse = _user("aftersales"), _user("warehouse")
    made = 0
    for order, (kind, reason, until, description) in zip(orders, PLAN, strict=False):
        ref = f"DEMO-RMA-{order.pk}"
        if ReturnRequest.objects.filter(order=order, channel_ref=ref).exists():
            continue
        line = order.lines.all()[0]
        try:
            with transaction.atomic():
                rma = return_request_create(order=order, kind=kind, reason=reason, description=description,
                                            channel_ref=ref, actor=DEMO,
                                            lines=[ReturnLineInput(sku=line.sku, quantity=1)])
                if until != "requested":
                    rma = return_request_approve(request=rma, actor=clerk, comment="同意，请寄回")
                    rma = return_request_register_parcel(request=rma, carrier="sf", actor=DEMO,
                                                         tracking_number=f"SF9{order.pk:09d}")
                if until in ("received", "inspected", "refunded"):
                    rma = return_request_receive(request=rma, counts={rma.lines.get().pk: 1}, warehouse=_home(order),
                                                 actor=warehouse)
                if until in ("inspected", "refunded"):
                    rma = return_request_inspect(request=rma, actor=warehouse,
                                                 results={rma.lines.get().pk: LineInspection(passed=1)})
                if until == "refunded":
                    return_request_refund(request=rma, actor=clerk, comment="质量问题，全额退款")
        except DomainError:
            continue
        made += 1
    return made


def _home(order):
    shipment = order.shipments.exclude(shipped_at__isnull=True).select_related("warehouse").first()
    return shipment.warehouse if shipment else "SH01"
