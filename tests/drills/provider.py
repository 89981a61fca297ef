"""A payment provider for drills that keeps its books in a file, so a killed process and the one that
recovers see the same provider. Like a real provider it is idempotent on `idempotency_key`: asked
twice, it pays once and answers with the same refund id."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from finance.connectors import CaptureResult, PaymentConnector, RefundResult

BOOK = "OMS_DRILL_PROVIDER_BOOK"  # env: the file of payouts, one JSON line each
HANG = "OMS_DRILL_PROVIDER_HANG"  # env: after paying out, hang (the drill kills the process here)


def payouts(path) -> list[dict]:
    path = Path(path)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class FileProvider(PaymentConnector):
    code = "drill"

    def capture(self, *, order_number, amount, transaction_id, idempotency_key) -> CaptureResult:
        return CaptureResult(transaction_id=transaction_id or f"drill-{idempotency_key}")

    def refund(self, *, order_number, amount, transaction_id, idempotency_key, reason) -> RefundResult:
        book = Path(os.environ[BOOK])
        with book.open("a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            done = [json.loads(line) for line in handle.read().splitlines()]
            known = next((p for p in done if p["key"] == idempotency_key), None)
            if known is None:
                known = {"key": idempotency_key, "amount": f"{amount:.2f}", "id": f"DRILL-{len(done) + 1}"}
                handle.write(json.dumps(known) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        if os.environ.get(HANG):
            time.sleep(600)  # paid out, not yet recorded by OMS: the drill kills the process now
        return RefundResult(provider_refund_id=known["id"])
