"""Labels and colours of the review workbench."""

from django import template

from oms.workflow.checks import HOLD_REASON_LABELS
from orders.events import actor_label as _actor_label
from orders.events import kind_label as _kind_label
from orders.models import OrderStatus

register = template.Library()

STATUS_CLASSES = {
    OrderStatus.PENDING_REVIEW: "badge-info",
    OrderStatus.ON_HOLD: "badge-warn",
    OrderStatus.AWAITING_PAYMENT: "badge-info",
    OrderStatus.AWAITING_SHIPMENT: "badge-ok",
    OrderStatus.PARTIALLY_SHIPPED: "badge-ok",
    OrderStatus.SHIPPED: "badge-ok",
    OrderStatus.COMPLETED: "badge-muted",
    OrderStatus.CANCELLED: "badge-bad",
}


@register.filter
def status_class(status):
    return STATUS_CLASSES.get(status, "")


@register.filter
def hold_label(code):
    return HOLD_REASON_LABELS.get(code, code)


@register.filter
def kind_label(kind):
    return _kind_label(kind)


@register.filter
def actor_label(name):
    return _actor_label(name)
