"""Validation of a review rule's parameters against its check's defaults.

A check declares its thresholds as `default_params` when it registers; their types are the schema:
a decimal string is an amount of money, an int a whole number, a list a list of words, a bool a
switch. An administrator's edit must name known parameters with values of those types, so a typo
cannot silently switch a check off (say `{"treshold": 0}`) or crash the next review.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from core.money import to_money
from oms.workflow.registry import registered_checks


def _is_money(default) -> bool:
    if not isinstance(default, str):
        return False
    try:
        Decimal(default)
    except InvalidOperation:
        return False
    return True


def _coerce(default, value):
    """The cleaned value, or raise ValueError with a message for the administrator."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(_("Must be true or false."))
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(_("Must be a whole number, zero or more."))
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError(_("Must be a number greater than zero."))
        return value
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError(_("Must be a list of words, e.g. [\"测试\", \"test\"]."))
        return [v.strip() for v in value]
    if _is_money(default):
        if isinstance(value, bool) or isinstance(value, float) or not isinstance(value, int | str):
            raise ValueError(_("Must be an amount written as a string, e.g. \"50000.00\"."))
        try:
            amount = to_money(value)
        except ValueError:
            raise ValueError(_("Must be an amount written as a string, e.g. \"50000.00\"."))
        if amount < 0:
            raise ValueError(_("Must not be negative."))
        return f"{amount:.2f}"
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(_("Must be text."))
        return value
    return value


def clean_rule_params(code: str, params) -> dict:
    """Cleaned parameters for the check `code`; raises ValidationFailed naming each bad key."""
    spec = registered_checks().get(code)
    if spec is None:
        raise ValidationFailed(errors={"code": [_("No check “%(code)s” is registered.") % {"code": code}]})
    if params in (None, ""):
        return {}
    if not isinstance(params, dict):
        raise ValidationFailed(errors={"params": [
            _("Parameters must be a JSON object, e.g. {\"threshold\": \"50000.00\"}.")]})
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key, value in params.items():
        if key not in spec.default_params:
            known = ", ".join(sorted(spec.default_params)) or _("none")
            errors.setdefault("params", []).append(
                _("Unknown parameter “%(key)s” (this check knows: %(known)s).") % {"key": key, "known": known})
            continue
        try:
            cleaned[key] = _coerce(spec.default_params[key], value)
        except ValueError as exc:
            errors.setdefault("params", []).append(f"{key}: {exc}")
    if errors:
        raise ValidationFailed(errors=errors)
    return cleaned


def describe_params(code: str) -> str:
    """`threshold = "50000.00"; …` for help texts."""
    spec = registered_checks().get(code)
    if spec is None or not spec.default_params:
        return _("This check has no parameters.")
    import json

    return "；".join(f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in spec.default_params.items())
