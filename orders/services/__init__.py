"""Writers of the orders stage: the only code that writes orders, their lines, customers and timeline.

Upper stages (workflow, inventory, finance, …) call these; nothing else writes the orders stage's
tables. Each service locks the order row, validates, applies one FSM transition at most, and writes
exactly one `OrderEvent`. Effects that belong to upper stages are reached through `core.hooks`.

- `create`: `order_create` (and the input types and rules it shares with bulk creation);
- `bulk`: many checked orders at once (`orders_bulk_prepare` / `orders_bulk_write`, the legacy import);
- `status`: review, hold, payment, cancellation, shipment, completion;
- `details`: address change, assignment;
- `funds`: the funds summary the finance stage keeps;
- `lines`: goods-flow quantities on lines.
"""

from orders.services.create import (
    LineInput,
    OrderInput,
    order_create,
    order_history_record,
    order_input_problems,
    priced_line_values,
    priced_lines,
    validate_order_input,
)
from orders.services.details import (
    ADDRESS_FIELDS,
    order_assign,
    order_assign_team,
    order_change_address,
    order_set_priority,
    order_tag_add,
)
from orders.services.funds import order_set_funds, payment_status_for
from orders.services.lines import order_line_quantities_set
from orders.services.status import (
    HoldReason,
    order_cancel,
    order_complete,
    order_mark_paid,
    order_pass_review,
    order_put_on_hold,
    order_reject,
    order_ship,
    orders_put_on_hold,
)

__all__ = [
    "ADDRESS_FIELDS", "HoldReason", "LineInput", "OrderInput", "order_assign", "order_assign_team",
    "order_set_priority", "order_tag_add", "order_cancel", "order_change_address",
    "order_complete", "order_create", "order_history_record", "order_input_problems", "order_line_quantities_set",
    "order_mark_paid", "order_pass_review", "order_put_on_hold", "order_reject", "order_set_funds", "order_ship",
    "orders_put_on_hold", "payment_status_for", "priced_line_values", "priced_lines", "validate_order_input",
]
