"""Writers of the finance stage. Later stages call these (see docs/architecture.md, "Finance"):

- payments: `payment_record`, `payment_record_failed`, `bank_transfer_register`, `cod_collect`,
  `payment_authorize` + `payment_capture` (through the connector)
- revenue: `revenue_recognise` (at shipment), `revenue_reverse` (returns), `revenue_allowance`
- refunds: `refund_request`, `refund_execute`, `refund_record_external`, `refund_withdraw`
- refunds outside a return: `refund_request_manual` (above the limit a `RefundApproval`),
  `refund_approval_approve`, `refund_approval_reject`
- invoices: `invoice_issue`, `invoice_issue_if_due`, `invoice_void` (credit note), `invoice_reissue` (partial
  credit: void and issue again for what stays invoiced), `invoices_mark_printed`
"""

from finance.services.invoices import (
    invoice_issue,
    invoice_issue_if_due,
    invoice_reissue,
    invoice_void,
    invoices_mark_printed,
)
from finance.services.manual_refunds import (
    ManualRefund,
    refund_approval_approve,
    refund_approval_reject,
    refund_request_manual,
)
from finance.services.payments import (
    bank_transfer_register,
    cod_collect,
    payment_authorize,
    payment_capture,
    payment_record,
    payment_record_failed,
)
from finance.services.refunds import (
    refund_complete,
    refund_execute,
    refund_fail,
    refund_record_external,
    refund_request,
    refund_withdraw,
    retry_failed_refunds,
)
from finance.services.revenue import revenue_allowance, revenue_recognise, revenue_reverse

__all__ = [
    "ManualRefund", "refund_approval_approve", "refund_approval_reject",
    "bank_transfer_register", "cod_collect", "invoice_issue", "invoice_issue_if_due", "invoice_reissue", "invoice_void",
    "invoices_mark_printed", "payment_authorize", "payment_capture", "payment_record", "payment_record_failed",
    "refund_complete", "refund_execute", "refund_fail", "refund_record_external", "refund_request",
    "refund_request_manual", "refund_withdraw",
    "retry_failed_refunds", "revenue_allowance", "revenue_recognise", "revenue_reverse",
]
