"""Work queues on the home page: what is waiting for this user, as counts that link to the screen
where the work is done. Each queue shows only to users with the permission to work it, so a role's
home is exactly its daily job. Upper apps may add queues with `register()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from aftersales.models import ReturnRequest, ReturnStatus
from aftersales.selectors import awaiting_refund_count, parcels_to_receive
from finance.selectors import print_centre_counts, refund_approvals_pending
from logistics.models import Shipment, ShipmentStatus
from logistics.selectors import exception_shipments
from oms.backoffice.nav import perm
from oms.imports.models import ImportBatch
from oms.workflow.automation.approvals import approvals_waiting_count
from oms.workflow.selectors import approval_codes, held_for_my_approval
from orders.models import Order, OrderStatus


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    allowed: Callable
    count: Callable  # (user) -> int
    url_name: str
    query: dict | Callable | None = None  # (user) -> dict
    urgent: bool = False


@dataclass
class QueueView:
    key: str
    label: str
    count: int
    url: str
    urgent: bool


def _held_mine(user) -> int:
    return Order.objects.filter(status=OrderStatus.ON_HOLD, assigned_to=user).count()


def _held_unassigned(user) -> int:
    return Order.objects.filter(status=OrderStatus.ON_HOLD, assigned_to__isnull=True).count()


def _approvals_mine(user) -> int:
    """Orders held for a review rule's approval by a role of mine, plus the automation rules' approval
    levels waiting for me (role, name, escalation, delegation): the approvals inbox lists both."""
    return len(held_for_my_approval(user)) + approvals_waiting_count(user)


def _may_approve(user) -> bool:
    return bool(approval_codes(user)) or approvals_waiting_count(user) > 0


def _shipments(*statuses) -> Callable:
    return lambda user: Shipment.objects.filter(status__in=statuses).count()


QUEUES: list[Queue] = [
    Queue("held-mine", _("On hold, assigned to me"), perm("orders.review_order"), _held_mine,
          "workflow:review-queue", {"assigned": "me"}, urgent=True),
    Queue("held-unassigned", _("On hold, nobody assigned"), perm("orders.review_order"), _held_unassigned,
          "workflow:review-queue", {"assigned": "unassigned"}),
    Queue("approvals-mine", _("Approvals waiting for me"), _may_approve, _approvals_mine,
          "workflow:approvals", urgent=True),
    Queue("to-pick", _("Shipments to put in a wave"), perm("logistics.add_pickwave"),
          lambda u: Shipment.objects.filter(status=ShipmentStatus.CREATED, wave__isnull=True).count(),
          "logistics:waves"),
    Queue("to-pack", _("To pack"), perm("logistics.pack_shipment"), _shipments(ShipmentStatus.PICKING),
          "logistics:shipments", {"status": ShipmentStatus.PICKING}),
    Queue("to-ship", _("Packed, to hand over"), perm("logistics.ship_shipment"), _shipments(ShipmentStatus.PACKED),
          "logistics:shipments", {"status": ShipmentStatus.PACKED}),
    Queue("exceptions", _("Shipping exceptions"), perm("logistics.change_shipment"),
          lambda u: exception_shipments().count(), "logistics:exceptions", urgent=True),
    Queue("returns-to-receive", _("Returns to receive"), perm("aftersales.receive_returnrequest"),
          lambda u: parcels_to_receive(search="").count(), "aftersales:receiving"),
    Queue("returns-to-decide", _("Return requests to decide"), perm("aftersales.approve_returnrequest"),
          lambda u: ReturnRequest.objects.filter(status=ReturnStatus.REQUESTED).count(),
          "aftersales:queue", {"status": ReturnStatus.REQUESTED}),
    Queue("returns-to-inspect", _("Returns to inspect"), perm("aftersales.inspect_returnrequest"),
          lambda u: ReturnRequest.objects.filter(status=ReturnStatus.RECEIVED).count(),
          "aftersales:queue", {"status": ReturnStatus.RECEIVED}),
    Queue("refunds-to-confirm", _("Refunds to transfer and confirm"), perm("aftersales.confirm_refund"),
          lambda u: awaiting_refund_count(), "aftersales:queue", {"awaiting_refund": "on"}, urgent=True),
    Queue("refund-approvals", _("Refunds waiting for my approval"), perm("finance.approve_refund"),
          lambda u: refund_approvals_pending(user=u).count(), "finance:refund-approvals", urgent=True),
    Queue("invoices-to-print", _("Invoices to print"), perm("finance.print_invoice"),
          lambda u: print_centre_counts()["unprinted"], "finance:print-centre", {"printed": "no"}),
    Queue("imports-running", _("Imports running"), perm("imports.run_import"),
          lambda u: ImportBatch.objects.filter(status__in=[ImportBatch.Status.QUEUED,
                                                           ImportBatch.Status.RUNNING]).count(),
          "imports:centre"),
]


def register(queue: Queue) -> None:
    QUEUES[:] = [q for q in QUEUES if q.key != queue.key] + [queue]


def queues_for(user) -> list[QueueView]:
    views = []
    for queue in QUEUES:
        if not queue.allowed(user):
            continue
        try:
            url = reverse(queue.url_name)
        except NoReverseMatch:
            continue
        query = queue.query(user) if callable(queue.query) else (queue.query or {})
        if query:
            url = f"{url}?{urlencode(query)}"
        views.append(QueueView(key=queue.key, label=str(queue.label), count=queue.count(user), url=url,
                               urgent=queue.urgent))
    return views
