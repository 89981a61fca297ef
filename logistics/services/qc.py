"""Quality control before shipping (issue 19): an order asked to pass QC is not packed or handed over
until an inspector passed it. A failure puts the order on hold with the inspector's note as the
reason; after the goods were fixed (and the hold released) the order is inspected again.

`qc_request` is called by the workflow's automation action `require_qc`; `qc_guard` by the packing
and hand-over services of this stage, so the lower stage needs nothing from the workflow.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import actor_user
from core.errors import InvalidTransition, ValidationFailed
from logistics import events
from logistics.models import QualityCheck, QualityCheckStatus
from orders import services as order_services
from orders.lock_objects import lock_order
from orders.models import Order, OrderStatus
from orders.services import HoldReason

QC_FAILED = "qc_failed"  # the hold reason code of a failed quality check
QC_STATUSES = (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT,
               OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED)
MAX_PHOTO_BYTES = 5 * 1024 * 1024


def qc_guard(order: Order) -> None:
    """Raise InvalidTransition if `order` waits for (or failed) its quality check: do not pack or ship it."""
    status = QualityCheck.objects.filter(order_id=order.pk).values_list("status", flat=True).first()
    if status is None or status == QualityCheckStatus.PASSED:
        return
    if status == QualityCheckStatus.FAILED:
        raise InvalidTransition(_("Order %(number)s failed its quality check; do not pack or ship it until it "
                                  "passes.") % {"number": order.number})
    raise InvalidTransition(_("Order %(number)s waits for its quality check; do not pack or ship it yet.")
                            % {"number": order.number})


@transaction.atomic
def qc_request(*, order: Order, reason: str, actor, data: dict | None = None) -> tuple[QualityCheck, bool]:
    """Ask for a quality check of `order` before it ships. Returns (check, created): an order that already
    has one (waiting, passed or failed) is not asked twice."""
    order = lock_order(order)
    existing = QualityCheck.objects.filter(order=order).first()
    if existing is not None:
        return existing, False
    if order.status not in QC_STATUSES:
        raise InvalidTransition(_("Order %(number)s is %(status)s: too late for a quality check.")
                                % {"number": order.number, "status": order.get_status_display()})
    check = QualityCheck.objects.create(order=order, reason=(reason or "")[:255], request_data=data or {})
    events.qc_requested_event(order=order, actor=actor, reason=check.reason)
    return check, True


def _lock_check(check: QualityCheck) -> tuple[Order, QualityCheck]:
    """The order and its check, locked; a check that already passed is not decided again."""
    order = lock_order(check.order_id)
    check = QualityCheck.objects.select_for_update().get(pk=check.pk)
    if check.status == QualityCheckStatus.PASSED:
        raise InvalidTransition(_("Order %(number)s has already passed its quality check.")
                                % {"number": order.number})
    return order, check


def _clean_photo(photo) -> None:
    if photo is None:
        return
    content_type = getattr(photo, "content_type", "") or ""
    if not content_type.startswith("image/"):
        raise ValidationFailed(errors={"photo": [_("The photo must be an image.")]})
    if photo.size > MAX_PHOTO_BYTES:
        raise ValidationFailed(errors={"photo": [_("The photo is larger than 5 MB.")]})


def qc_pass(*, check: QualityCheck, actor, note: str = "", photo=None) -> QualityCheck:
    """The goods are fine: the order's parcels may be packed and shipped."""
    _clean_photo(photo)
    with transaction.atomic():
        order, check = _lock_check(check)
        _decide(check, actor=actor, status=QualityCheckStatus.PASSED, note=note, photo=photo)
        events.qc_decided_event(order=order, actor=actor, passed=True, note=check.note,
                                photo=check.photo.name if check.photo else "")
    return check


def qc_fail(*, check: QualityCheck, actor, note: str, photo=None) -> QualityCheck:
    """The goods are not fine: the order goes on hold with the note as its reason."""
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(errors={"note": [_("Say what is wrong.")]})
    _clean_photo(photo)
    with transaction.atomic():
        order, check = _lock_check(check)
        _decide(check, actor=actor, status=QualityCheckStatus.FAILED, note=note, photo=photo)
        events.qc_decided_event(order=order, actor=actor, passed=False, note=note,
                                photo=check.photo.name if check.photo else "")
        if order.status in (OrderStatus.PENDING_REVIEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_SHIPMENT,
                            OrderStatus.ON_HOLD):
            order_services.order_put_on_hold(order=order, actor=actor, locked=True, reasons=[
                HoldReason(QC_FAILED, note, {"quality_check": check.pk})])
    return check


def _decide(check: QualityCheck, *, actor, status: str, note: str, photo) -> None:
    check.status = status
    check.note = (note or "").strip()
    check.decided_by = actor_user(actor)
    check.decided_at = timezone.now()
    if photo is not None:
        check.photo.save(photo.name, photo, save=False)
    check.save()
