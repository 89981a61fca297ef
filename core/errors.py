"""Domain errors.

Services raise these; the admin shows them as messages, the API maps them to a status code and
`{"type", "detail", "errors"}`, the importer to row errors. `code` is the machine code of the API
contract, `http_status` the status the API answers with.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    http_status = 400
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, errors: dict[str, list[str]] | None = None, data: dict | None = None):
        self.message = message if message is not None else self.default_message
        self.errors = errors or {}
        self.data = data or {}
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class ValidationFailed(DomainError):
    """Bad input; `errors` maps dotted field paths (`lines.0.sku`) to messages."""

    code = "validation_error"
    http_status = 400
    default_message = _("Invalid input.")


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403
    default_message = _("You do not have permission to perform this action.")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    http_status = 409
    default_message = _("This action is not allowed in the current state.")


class ConcurrentUpdate(DomainError):
    code = "concurrent_update"
    http_status = 409
    default_message = _("Someone else changed this record at the same time. Reload and try again.")


class DuplicateOrder(DomainError):
    code = "duplicate_order"
    http_status = 409
    default_message = _("This order already exists.")


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    http_status = 409
    default_message = _("This Idempotency-Key was already used with a different request body.")


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    http_status = 409
    default_message = _("Not enough stock.")


class PaymentError(DomainError):
    code = "payment_error"
    http_status = 409
    default_message = _("The payment could not be processed.")


class DocumentNotAvailable(NotFound):
    code = "document_not_available"
    default_message = _("This document does not exist yet.")


class PdfUnavailable(DomainError):
    """This server cannot make PDFs (the CJK font or Pango is not installed); the rest works."""

    code = "pdf_unavailable"
    http_status = 503
    default_message = _("PDFs cannot be made on this server right now; ask an administrator.")
