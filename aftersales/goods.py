"""The goods flow of after-sales, through the inventory stage's services.

PLACEHOLDER until the inventory stage lands: warehouses are plain codes and nothing is booked.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from aftersales.models import ReturnLine, ReturnRequest


def find_return_warehouse(code: str, errors):
    code = (code or "").strip()
    if not code:
        errors.add("warehouse", _("This field is required."))
        return None
    return code


def warehouse_code(warehouse) -> str:
    return str(warehouse or "")


def book_returned_units(*, request: ReturnRequest, line: ReturnLine, restock: int, quarantine: int,
                        actor) -> tuple[int, int]:
    """Book inspected units into stock: `restock` sellable, `quarantine` held. Returns (restocked, quarantined)."""
    return restock, quarantine
