"""Writers of the inventory stage. Every public service is keyword-only, atomic, locks the stock
rows it touches in pk order (after the order row, when there is one) and writes the ledger.

For other stages:
- `order_stock_reserve` / `order_stock_release` — the review pipeline and cancellations;
- `orders_stock_reserve` — many orders at once, first come first served (the legacy import);
- `shipment_stock_issue` — logistics, when a shipment leaves a warehouse;
- `return_stock_receive` / `quarantine_stock_release` — after-sales, when goods come back and after QC.
For clerks: `stock_receive`, `stock_adjust`, `stock_transfer`, `stocktake_import`, `stock_settings_update`.
"""

from inventory.services.adjustments import Adjustment, stock_adjust, stock_settings_update, stock_transfer
from inventory.services.receiving import Receipt, ReceiptLine, stock_receive
from inventory.services.reservations import (
    BatchReservation,
    ReservationResult,
    order_stock_release,
    order_stock_reserve,
    order_stock_try_reserve,
    orders_stock_reserve,
)
from inventory.services.returns import (
    ReturnDisposition,
    ReturnResult,
    quarantine_stock_release,
    return_stock_receive,
    returnable_quantity,
)
from inventory.services.shipping import IssueResult, shipment_stock_issue
from inventory.services.stocktake import StocktakeResult, StocktakeRow, stocktake_import

__all__ = [
    "Adjustment", "BatchReservation", "IssueResult", "Receipt", "ReceiptLine", "ReservationResult",
    "ReturnDisposition", "ReturnResult", "StocktakeResult", "StocktakeRow", "order_stock_release",
    "order_stock_reserve", "order_stock_try_reserve", "orders_stock_reserve", "quarantine_stock_release",
    "return_stock_receive", "returnable_quantity", "shipment_stock_issue", "stock_adjust", "stock_receive",
    "stock_settings_update", "stock_transfer", "stocktake_import",
]
