"""The goods flow of after-sales, through the inventory stage's services.

Units that pass QC are restocked (sellable at once; waiting backorders are retried by the
inventory stage), damaged ones go to the warehouse's quarantine location. Both are ledger
`return` rows with the RMA number as reference, so the stock ledger shows where each came from.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from aftersales.models import ReturnLine, ReturnRequest
from inventory.models import Warehouse
from inventory.services import ReturnDisposition, return_stock_receive


def find_return_warehouse(code, errors) -> Warehouse | None:
    if isinstance(code, Warehouse):
        return code
    code = (code or "").strip()
    if not code:
        errors.add("warehouse", _("This field is required."))
        return None
    warehouse = Warehouse.objects.filter(code__iexact=code, active=True).first()
    if warehouse is None:
        errors.add("warehouse", _("Unknown warehouse “%(code)s”.") % {"code": code})
    return warehouse


def shipped_from(request: ReturnRequest) -> Warehouse | None:
    """Where the goods left from: the natural place for them to come back to."""
    shipment = request.order.shipments.exclude(shipped_at__isnull=True).select_related("warehouse") \
        .order_by("-shipped_at", "-pk").first()
    return shipment.warehouse if shipment else None


def book_returned_units(*, request: ReturnRequest, line: ReturnLine, restock: int, quarantine: int,
                        actor) -> tuple[int, int]:
    """Book inspected units into the request's warehouse: `restock` sellable, `quarantine` held.

    Returns (restocked, quarantined). The inventory stage refuses more than was issued for the
    line and not yet returned, so restocked never exceeds shipped.
    """
    for quantity, disposition in ((restock, ReturnDisposition.RESTOCK), (quarantine, ReturnDisposition.QUARANTINE)):
        if quantity:
            return_stock_receive(order_line=line.order_line, warehouse=request.warehouse, quantity=quantity,
                                 disposition=disposition, reference=request.number, actor=actor)
    return restock, quarantine
