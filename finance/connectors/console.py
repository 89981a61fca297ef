"""A connector that moves no money: it logs what a real provider would be asked to do and
succeeds. The default for development and demos; tests script failures with `testing`."""

from __future__ import annotations

import logging

from finance.connectors import CaptureResult, PaymentConnector, RefundResult

logger = logging.getLogger("oms.payments")


class ConsoleConnector(PaymentConnector):
    code = "console"

    def capture(self, *, order_number, amount, transaction_id, idempotency_key) -> CaptureResult:
        logger.info("console connector: capture %s for %s (%s)", amount, order_number, transaction_id)
        return CaptureResult(transaction_id=transaction_id or f"console-{idempotency_key}")

    def refund(self, *, order_number, amount, transaction_id, idempotency_key, reason) -> RefundResult:
        logger.info("console connector: refund %s for %s (%s): %s", amount, order_number, transaction_id, reason)
        return RefundResult(provider_refund_id=f"console-refund-{idempotency_key}")
