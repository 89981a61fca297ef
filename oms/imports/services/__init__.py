"""Legacy order import: the bulk writer, and the lifecycle of an import batch.

`legacy_orders_import` is the engine behind the command and the import centre. It reads the file
once, row by row, into a temporary spool (so even a 100,000-line workbook is never held in
memory), remembering for each order key (渠道, 订单号) the position of its last row. A second pass
over the spool assembles each order as soon as its last row has been read — rows of one order need
not be adjacent — and hands complete orders on in batches:

1. duplicates: orders whose (channel, external id) exists, from any source, are counted and left alone;
2. checks: every value's form (`oms.imports.values`), then the order rules every channel obeys
   (`orders.services.order_input_problems`, shared with `order_create`), then the template's own rules
   (paid ≤ total, tracking number for 已发货/已完成, order-level values that differ between rows);
3. writing (not in a dry run): the batch's system order numbers taken as one block in a short
   transaction of their own, then one transaction per batch — customers found or created, orders
   (with audit history), lines and one "imported" timeline event per order, written in bulk by the
   orders stage (`orders.services.bulk`), an `ImportedOrder` record per order, the stock of open
   orders reserved (`oms.workflow.services.imported_orders_reserve_stock`) and the money of every
   order booked as an opening balance (`finance.services.opening`). An order with any
   error is rejected whole and never reaches the writer, so every order is all-or-nothing. If the
   batch collides with an order created meanwhile (the API, a second import), it is retried order
   by order, and the colliding ones count as duplicates.

Large imports run steps 1–3 in forked worker processes, a batch at a time (`oms.imports.parallel`).

The package, by job:

- `reading`: the header and the rows to the spool;
- `checking`: one complete order against the rules;
- `writing`: a batch of valid orders in one transaction;
- `importer`: one run (`legacy_orders_import`), tying the three together;
- `batches`: the life cycle of an import batch (the import centre and `import_orders`): upload to
  private storage, run, heartbeat, stalled batches failed and resumed, files deleted after retention;
- `report`: what a run found.
"""

from oms.imports.services.batches import (
    enqueue_import_job,
    import_batch_create,
    import_batch_execute,
    import_batch_resume,
    import_batch_run_file,
    import_batch_start,
    import_batch_store_report,
    import_batches_fail_stalled,
    import_files_purge,
)
from oms.imports.services.checking import HISTORICAL_STATUSES, NEEDS_TRACKING
from oms.imports.services.importer import DEFAULT_BATCH_ORDERS, _Importer, legacy_orders_import
from oms.imports.services.reading import legacy_file_inspect, read_header
from oms.imports.services.report import BatchOutcome, ImportReport, Problem, Progress
from oms.imports.services.writing import ANALYZE_EVERY

__all__ = [
    "ANALYZE_EVERY", "DEFAULT_BATCH_ORDERS", "HISTORICAL_STATUSES", "NEEDS_TRACKING", "BatchOutcome",
    "ImportReport", "Problem", "Progress", "_Importer", "enqueue_import_job", "import_batch_create",
    "import_batch_execute", "import_batch_resume", "import_batch_run_file", "import_batch_start",
    "import_batch_store_report", "import_batches_fail_stalled", "import_files_purge",
    "legacy_file_inspect", "legacy_orders_import", "read_header",
]
