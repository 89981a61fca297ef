"""Payment connectors: how OMS talks to whoever holds the money (Alipay, WeChat Pay, a bank, a
marketplace). Services never call a provider directly; they ask `connector_for(provider)` and call
`capture` / `refund`, so a real provider is added by writing a class and naming it in
`settings.OMS_PAYMENT_CONNECTORS` — no service changes.

Calls go out after the database transaction committed (`transaction.on_commit`); a connector
raises `ConnectorError` when the provider refuses or cannot be reached, and the service records
the failure and retries later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string


class ConnectorError(Exception):
    """The provider refused or could not be reached; `retryable` says whether to try again."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class CaptureResult:
    transaction_id: str
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    provider_refund_id: str
    raw: dict = field(default_factory=dict)


class PaymentConnector:
    """Interface of a payment provider. Implementations must be idempotent on `idempotency_key`."""

    code = "base"

    def capture(self, *, order_number: str, amount: Decimal, transaction_id: str,
                idempotency_key: str) -> CaptureResult:
        raise NotImplementedError

    def refund(self, *, order_number: str, amount: Decimal, transaction_id: str, idempotency_key: str,
               reason: str) -> RefundResult:
        raise NotImplementedError


def connector_for(provider: str) -> PaymentConnector:
    """The connector configured for a provider code, or the default connector."""
    paths = settings.OMS_PAYMENT_CONNECTORS
    path = paths.get(provider) or paths[settings.OMS_DEFAULT_PAYMENT_CONNECTOR]
    return import_string(path)()
