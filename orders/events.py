"""Writing the order timeline. Every service writes exactly one event per business step.

`kind` is a short machine code; stages add their own kinds (stock_reserved, payment_received, …)
through `record_event` with their own constants. The message is stored in the project's default
language (zh-hans) whatever the language of the request that caused it, so the timeline reads the
same for everyone; `data` keeps the machine-readable facts.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy

from oms.core.actors import actor_name, actor_user
from orders.models import Order, OrderEvent


class EventKind:
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    HELD = "held"
    REVIEW_PASSED = "review_passed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ADDRESS_CHANGED = "address_changed"
    ASSIGNED = "assigned"
    PAYMENT_RECORDED = "payment_recorded"
    NOTE = "note"
    IMPORTED = "imported"


def record_event(*, order: Order, kind: str, message, actor=None, data: dict | None = None) -> OrderEvent:
    with translation.override("zh-hans"):
        text = str(message)
    return OrderEvent.objects.create(
        order=order, kind=kind, message=text, actor=actor_user(actor), actor_name=actor_name(actor),
        data=data or {},
    )


def status_data(source: str, target: str, **extra) -> dict:
    return {"from": source, "to": target, **extra}


# How the timeline names each kind; stages add their own kinds with `KIND_LABELS.update(...)` in ready().
KIND_LABELS = {
    EventKind.CREATED: gettext_lazy("Created"),
    EventKind.STATUS_CHANGED: gettext_lazy("Status changed"),
    EventKind.HELD: gettext_lazy("Put on hold"),
    EventKind.REVIEW_PASSED: gettext_lazy("Review passed"),
    EventKind.APPROVED: gettext_lazy("Approved"),
    EventKind.REJECTED: gettext_lazy("Rejected"),
    EventKind.CANCELLED: gettext_lazy("Cancelled"),
    EventKind.ADDRESS_CHANGED: gettext_lazy("Address changed"),
    EventKind.ASSIGNED: gettext_lazy("Assigned"),
    EventKind.PAYMENT_RECORDED: gettext_lazy("Payment"),
    EventKind.NOTE: gettext_lazy("Note"),
    EventKind.IMPORTED: gettext_lazy("Imported"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, ""))
