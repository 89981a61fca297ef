"""Small helpers shared by the after-sales services."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import ReturnRequest
from core.errors import ValidationFailed
from core.numbering import local_today, next_value


def next_return_number() -> str:
    """`RMA` + YYYYMMDD + six-digit daily sequence: RMA20261124000001."""
    prefix = f"RMA{local_today():%Y%m%d}"
    return f"{prefix}{next_value(prefix):06d}"


def require_comment(comment: str, path: str = "comment") -> str:
    text = (comment or "").strip()
    if not text:
        raise ValidationFailed(errors={path: [_("A comment is required.")]})
    return text


def mark_status_changed(request: ReturnRequest, *fields: str) -> None:
    request.status_changed_at = timezone.now()
    request.save(update_fields=["status", "status_changed_at", "updated_at", *fields])


class Errors:
    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message) -> None:
        self.errors.setdefault(path, []).append(str(message))

    def raise_if_any(self, message=None) -> None:
        if self.errors:
            raise ValidationFailed(message, errors=self.errors)
