"""Masking of customer phones and e-mails for users (and API tokens) without the PII permission."""

from __future__ import annotations

PII_PERMISSION = "core.view_customer_pii"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * len(digits)


def mask_email(email: str | None) -> str:
    if not email:
        return ""
    local, _, domain = email.partition("@")
    if not domain:
        return mask_phone(email)
    head = local[:1]
    return f"{head}***@{domain}"


def user_can_view_pii(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PII_PERMISSION))
