"""A scriptable connector for tests: records calls and fails when told to."""

from __future__ import annotations

from finance.connectors import CaptureResult, ConnectorError, PaymentConnector, RefundResult


class ScriptedConnector(PaymentConnector):
    code = "scripted"
    calls: list[tuple] = []
    failures: list[ConnectorError] = []  # raised one per call, in order, before succeeding

    @classmethod
    def reset(cls):
        cls.calls = []
        cls.failures = []

    def _maybe_fail(self):
        if ScriptedConnector.failures:
            raise ScriptedConnector.failures.pop(0)

    def capture(self, *, order_number, amount, transaction_id, idempotency_key) -> CaptureResult:
        ScriptedConnector.calls.append(("capture", order_number, amount, idempotency_key))
        self._maybe_fail()
        return CaptureResult(transaction_id=transaction_id or f"scripted-{idempotency_key}")

    def refund(self, *, order_number, amount, transaction_id, idempotency_key, reason) -> RefundResult:
        ScriptedConnector.calls.append(("refund", order_number, amount, idempotency_key))
        self._maybe_fail()
        return RefundResult(provider_refund_id=f"scripted-refund-{idempotency_key}")
