"""One typed reader for the environment.

Every setting that can change between machines is read here, with a default that works on one
machine with nothing installed. A value that cannot be parsed raises ImproperlyConfigured at
start-up instead of misbehaving later.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# Secrets published in this repository or its docs, and the usual placeholders: never accepted in production.
KNOWN_WEAK_SECRETS = {
    "django-insecure-oms-development-key-do-not-use-in-production", "dev-webhook-secret", "test-webhook-secret",
    "oms-development-blind-index-key-do-not-use-in-production",
    "secret", "changeme", "change-me", "password", "abc", "bench", "oms", "oms-demo-2026",
}
MIN_SECRET_LENGTH = 32


def weak_secret(value: str, *, min_length: int = MIN_SECRET_LENGTH) -> str | None:
    """Why `value` is not a secret fit for production, or None: too short, a published default,
    or too few different characters (e.g. "xxxx…")."""
    value = value or ""
    if value in KNOWN_WEAK_SECRETS or value.lower().startswith("django-insecure"):
        return "a published default"
    if len(value) < min_length:
        return f"shorter than {min_length} characters"
    if len(set(value)) < 10:
        return "too few different characters"
    return None


def fernet_key_problem(key: str) -> str | None:
    """Why `key` is not a usable field-encryption key (a Fernet key: 32 random bytes, url-safe
    base64), or None."""
    import base64

    from cryptography.fernet import Fernet

    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
        Fernet(key.encode("ascii"))
    except (ValueError, UnicodeError):
        return "not a Fernet key (make one with `manage.py rotate_field_keys --new-key`)"
    if len(set(raw)) < 16:
        return "too few different bytes to be random"
    return None
