"""Review steps of the later stages, run once an order's checks pass (or a reviewer approved it)."""

from __future__ import annotations

from core.errors import InsufficientStock
from inventory.services import order_stock_reserve
from oms.workflow.checks import HoldCode
from oms.workflow.registry import review_step
from orders.models import Order
from orders.services import HoldReason


@review_step("reserve_stock", position=10)
def reserve_stock(order: Order, actor) -> list[HoldReason]:
    """Reserve the whole order in the nearest warehouse(s); short → on hold, nothing reserved.

    The order then waits in the backorder queue until stock arrives (`retry_backorders`).
    """
    try:
        order_stock_reserve(order=order, actor=actor)
    except InsufficientStock as exc:
        return [HoldReason(HoldCode.STOCK_SHORTAGE, exc.message, {"shortages": exc.data.get("shortages", [])})]
    return []
