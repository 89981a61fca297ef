"""Timeline kinds of the funds flow. Messages go through `orders.events.record_event` (zh-hans)."""


class FinanceEventKind:
    PAYMENT_RECORDED = "payment_recorded"  # written by orders.services.order_set_funds
    PAYMENT_FAILED = "payment_failed"
    REFUND_REQUESTED = "refund_requested"
    REFUND_COMPLETED = "refund_completed"
    REFUND_FAILED = "refund_failed"
    REFUND_WITHDRAWN = "refund_withdrawn"
    REVENUE_RECOGNISED = "revenue_recognised"
    REVENUE_REVERSED = "revenue_reversed"
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_VOIDED = "invoice_voided"
