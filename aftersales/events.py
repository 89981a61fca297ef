"""Timeline entries of the after-sales stage: one per business step, on the order's timeline.

Every entry carries the RMA number in `data["rma"]`, so the workbench shows a request's own history
by filtering the order's timeline, and the order page shows returns among the other flows.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import translation

from aftersales.models import ReturnRequest
from orders.events import record_event, status_data


class AftersalesEventKind:
    REQUESTED = "return_requested"
    APPROVED = "return_approved"
    REJECTED = "return_rejected"
    IN_TRANSIT = "return_in_transit"
    RECEIVED = "return_received"
    INSPECTED = "return_inspected"
    REFUNDED = "return_refunded"
    EXCHANGED = "return_exchanged"
    CLOSED = "return_closed"


ALL_KINDS = tuple(value for name, value in vars(AftersalesEventKind).items() if name.isupper())


def record_return_event(*, request: ReturnRequest, kind: str, message: Callable[[], str], actor,
                        source: str | None = None, **data):
    """One timeline entry for a step of `request`; `source` is the request's status before the step.

    `message` is a function that builds the text with `gettext`: it is called with zh-hans active,
    because `gettext_lazy(...) % {...}` would already be rendered in the language of the request
    that caused the step, and the timeline reads the same for everyone.
    """
    with translation.override("zh-hans"):
        text = message()
    payload = {"rma": request.number, "kind": request.kind, **data}
    if source is not None:
        payload = {**status_data(source, request.status), **payload}
    return record_event(order=request.order, kind=kind, message=text, actor=actor, data=payload)
