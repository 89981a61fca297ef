"""Masking of customer phones and e-mails for users (and API tokens) without the PII permission."""

from __future__ import annotations

import re

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


def mask_street(street: str | None) -> str:
    """The street part of an address (`address_detail`) with all but its first two characters hidden
    (文三路 90 号 → 文三****): enough to tell two addresses apart in a list, not to find the door."""
    street = (street or "").strip()
    if not street:
        return ""
    return f"{street[:2]}****" if len(street) > 2 else "****"


# Phones (mobile or landline) and e-mails inside free text (timeline messages, comments).
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DATA_PII_KEYS = {"phone", "recipient_phone", "customer_phone", "email", "customer_email"}
_DATA_STREET_KEYS = {"address_detail"}


def mask_text(text: str) -> str:
    text = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(1)), text)
    return _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)


def mask_data(value, key: str | None = None):
    """Event data with phones, e-mails and streets masked: under keys named like them, and inside text."""
    if isinstance(value, dict):
        return {k: mask_data(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_data(v, key) for v in value]
    if isinstance(value, str):
        if key in _DATA_PII_KEYS:
            return mask_email(value) if "email" in key else mask_phone(value)
        if key in _DATA_STREET_KEYS:
            return mask_street(value)
        return mask_text(value)
    return value


def user_can_view_pii(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PII_PERMISSION))


# Without the PII permission a phone search needs the whole number (exact match) and is rate-limited:
# a masked phone shows 139****6789, and 10,000 exact searches would otherwise unmask it.
PHONE_SEARCH_LIMIT = 10
PHONE_SEARCH_WINDOW_SECONDS = 600


def phone_search_allowed(user) -> bool:
    """Count one phone search by `user`; False once a user without the PII permission went over
    `PHONE_SEARCH_LIMIT` in the current window (the cache is shared by all web processes when
    REDIS_URL is set)."""
    if user_can_view_pii(user):
        return True
    import time

    from django.core.cache import cache

    key = f"oms:phone-search:{getattr(user, 'pk', None)}:{int(time.time() // PHONE_SEARCH_WINDOW_SECONDS)}"
    cache.add(key, 0, PHONE_SEARCH_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, PHONE_SEARCH_WINDOW_SECONDS)
        count = 1
    return count <= PHONE_SEARCH_LIMIT


_PII_KEYS = ("phone", "mobile", "tel", "email", "e_mail")


def mask_pii_in(data):
    """A copy of JSON-like `data` with every value under a phone- or e-mail-like key masked
    (payload views for users without the PII permission, logs)."""
    if isinstance(data, dict):
        masked = {}
        for key, value in data.items():
            name = str(key).lower()
            if isinstance(value, str) and any(part in name for part in _PII_KEYS):
                masked[key] = mask_email(value) if "mail" in name else mask_phone(value)
            else:
                masked[key] = mask_pii_in(value)
        return masked
    if isinstance(data, list):
        return [mask_pii_in(item) for item in data]
    return data
