"""The warehouse side: receiving a returned parcel (counting) and QC per line (pass, damaged, wrong item).

QC decides where each unit goes: passed units are restocked through the inventory ledger,
damaged ones go to a quarantine location, wrong items (not what was sold) are not booked as
this SKU at all; they wait with the request to be sent back to the customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales import goods
from aftersales.events import AftersalesEventKind, record_return_event
from aftersales.lock_objects import lock_return_request
from aftersales.models import QcPhoto, QcResult, ReturnLine, ReturnRequest
from aftersales.services.common import Errors, mark_status_changed
from core.actors import actor_name, actor_user
from core.fsm import run_transition
from orders.services import order_line_quantities_set

MAX_PHOTOS_PER_LINE = 10
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@transaction.atomic
def return_request_receive(*, request: ReturnRequest, counts: dict[int, int], warehouse, actor,
                           note: str = "") -> ReturnRequest:
    """The parcel arrived at `warehouse`: record how many units of each line are in it.

    `warehouse` is a Warehouse or its code. `counts` maps return line ids to units counted (0 up to
    what was asked for); at least one unit
    must be there (an empty parcel is closed with a comment instead). Nothing is booked into stock
    yet: QC decides whether the units are sellable.
    """
    request = lock_return_request(request)
    lines = {line.pk: line for line in request.lines.select_related("order_line")}
    errors = Errors()
    warehouse_obj = goods.find_return_warehouse(warehouse, errors)
    for line_id in counts:
        if line_id not in lines:
            errors.add(f"lines.{line_id}", _("Not a line of %(number)s.") % {"number": request.number})
    for line_id, line in lines.items():
        value = counts.get(line_id, 0)
        if not _is_count(value):
            errors.add(f"lines.{line_id}", _("Must be a whole number, zero or more."))
        elif value > line.quantity:
            errors.add(f"lines.{line_id}", _("%(sku)s: %(count)s counted, but only %(asked)s were to come back.")
                       % {"sku": line.order_line.sku, "count": value, "asked": line.quantity})
    if not errors.errors and sum(counts.get(pk, 0) for pk in lines) == 0:
        errors.add("lines", _("Count at least one unit; close the request with a comment if the parcel is empty."))
    errors.raise_if_any(_("The count cannot be recorded."))
    source = request.status
    run_transition(request, "receive", actor=actor)
    for line_id, line in lines.items():
        line.quantity_received = counts.get(line_id, 0)
    ReturnLine.objects.bulk_update(list(lines.values()), ["quantity_received"])
    request.received_at = timezone.now()
    request.warehouse = warehouse_obj
    mark_status_changed(request, "received_at", "warehouse")
    counted = "，".join(f"{line.order_line.sku}×{line.quantity_received}/{line.quantity}" for line in lines.values())

    def message():
        text = _("Return parcel of %(number)s received at %(warehouse)s: %(counted)s.") % {
            "number": request.number, "warehouse": warehouse_obj.name, "counted": counted}
        if note.strip():
            text = _("%(message)s Note: %(note)s") % {"message": text, "note": note.strip()}
        return text

    record_return_event(
        request=request, kind=AftersalesEventKind.RECEIVED, source=source, actor=actor, message=message,
        warehouse=warehouse_obj.code, note=note.strip(),
        lines=[{"sku": line.order_line.sku, "asked": line.quantity, "received": line.quantity_received}
               for line in lines.values()],
    )
    return request


@dataclass
class LineInspection:
    passed: int = 0
    damaged: int = 0
    wrong: int = 0
    note: str = ""
    photos: list = field(default_factory=list)  # uploaded files (Django File objects)


def qc_result_for(passed: int, damaged: int, wrong: int) -> str:
    if damaged == 0 and wrong == 0:
        return QcResult.PASSED
    if passed:
        return QcResult.MIXED
    if damaged and not wrong:
        return QcResult.DAMAGED
    if wrong and not damaged:
        return QcResult.WRONG_ITEM
    return QcResult.MIXED


def _validate_photo(upload, path: str, errors: Errors) -> None:
    if getattr(upload, "size", 0) > MAX_PHOTO_BYTES:
        errors.add(path, _("A photo may be at most 10 MB."))
        return
    try:
        forms.ImageField().clean(upload)  # Pillow opens it: a real image, not just a name ending in .jpg
    except ValidationError as exc:
        for message in exc.messages:
            errors.add(path, message)
    finally:
        if hasattr(upload, "seek"):
            upload.seek(0)


@transaction.atomic
def return_request_inspect(*, request: ReturnRequest, results: dict[int, LineInspection], actor,
                           comment: str = "") -> ReturnRequest:
    """QC of every received line: how many passed, arrived damaged, or are not the item sold.

    The three counts of a line add up to what was received; a failed unit needs a note. Passed
    units go back into sellable stock, damaged ones to quarantine, both through the inventory
    ledger with the RMA as reference, and the order lines' returned quantities follow.
    """
    request = lock_return_request(request)
    lines = {line.pk: line for line in request.lines.select_related("order_line", "order_line__product")}
    errors = Errors()
    for line_id in results:
        if line_id not in lines:
            errors.add(f"lines.{line_id}", _("Not a line of %(number)s.") % {"number": request.number})
    for line_id, line in lines.items():
        result = results.get(line_id, LineInspection())
        path = f"lines.{line_id}"
        if not all(_is_count(v) for v in (result.passed, result.damaged, result.wrong)):
            errors.add(path, _("Counts must be whole numbers, zero or more."))
            continue
        if result.passed + result.damaged + result.wrong != line.quantity_received:
            errors.add(path, _("%(sku)s: passed, damaged and wrong must add up to the %(count)s received.")
                       % {"sku": line.order_line.sku, "count": line.quantity_received})
        if (result.damaged or result.wrong) and not result.note.strip():
            errors.add(f"{path}.note", _("%(sku)s: describe what is wrong with the failed units.")
                       % {"sku": line.order_line.sku})
        if len(result.photos) > MAX_PHOTOS_PER_LINE:
            errors.add(f"{path}.photos", _("At most %(count)s photos per line.") % {"count": MAX_PHOTOS_PER_LINE})
        for index, upload in enumerate(result.photos):
            _validate_photo(upload, f"{path}.photos.{index}", errors)
    errors.raise_if_any(_("The inspection cannot be recorded."))
    source = request.status
    run_transition(request, "inspect", actor=actor)
    returned: dict[int, dict[str, int]] = {}
    photos = []
    for line_id, line in lines.items():
        result = results.get(line_id, LineInspection())
        line.quantity_passed, line.quantity_damaged, line.quantity_wrong = result.passed, result.damaged, result.wrong
        line.qc_result = qc_result_for(result.passed, result.damaged, result.wrong)
        line.qc_note = result.note.strip()
        booked = goods.book_returned_units(request=request, line=line, restock=result.passed,
                                           quarantine=result.damaged, actor=actor)
        line.quantity_restocked, line.quantity_quarantined = booked
        if sum(booked):
            order_line = line.order_line
            returned[order_line.pk] = {"quantity_returned": order_line.quantity_returned + sum(booked)}
        for upload in result.photos:
            photos.append(QcPhoto(line=line, image=upload, uploaded_by=actor_user(actor), actor_name=actor_name(actor)))
    ReturnLine.objects.bulk_update(list(lines.values()), [
        "quantity_passed", "quantity_damaged", "quantity_wrong", "qc_result", "qc_note", "quantity_restocked",
        "quantity_quarantined"])
    for photo in photos:
        photo.save()  # one by one: each file is written to MEDIA_ROOT by its field
    if returned:
        order_line_quantities_set(lines=returned)
    request.inspected_at = timezone.now()
    mark_status_changed(request, "inspected_at")

    def message():
        summary = "；".join(
            _("%(sku)s passed %(passed)s, damaged %(damaged)s, wrong item %(wrong)s") % {
                "sku": line.order_line.sku, "passed": line.quantity_passed, "damaged": line.quantity_damaged,
                "wrong": line.quantity_wrong} for line in lines.values())
        text = _("QC of %(number)s: %(summary)s.") % {"number": request.number, "summary": summary}
        return f"{text} {comment.strip()}" if comment.strip() else text

    record_return_event(
        request=request, kind=AftersalesEventKind.INSPECTED, source=source, actor=actor, message=message,
        comment=comment.strip(), photos=len(photos),
        lines=[{"sku": line.order_line.sku, "passed": line.quantity_passed, "damaged": line.quantity_damaged,
                "wrong_item": line.quantity_wrong, "restocked": line.quantity_restocked,
                "quarantined": line.quantity_quarantined, "note": line.qc_note} for line in lines.values()],
    )
    return request
