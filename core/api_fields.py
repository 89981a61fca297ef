"""Strict DRF fields and serializers shared by every stage's API input and output.

Contract rules (`contracts/api-v1.md`, "General"): quantities are JSON integers, money is a string
with two decimals, times are ISO 8601 with an offset, and a bad request names every bad field at
once. DRF's own fields are lenient (`"2"` is an integer, `123` a string); these are not.

`StrictSerializer` refuses unknown keys and, when it fails, keeps the fields that were valid in
`partial_data` (and on the exception as `partial_value`), so a caller can still run business rules
on them and report every problem in one round trip.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import SkipField, empty, get_error_detail
from rest_framework.settings import api_settings

from core.money import money_str, to_money


class StrictCharField(serializers.CharField):
    """A JSON string and nothing else (DRF's CharField would turn `123` into `"123"`)."""

    default_error_messages = {"invalid": _("Must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"not_a_string": _("Must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    default_error_messages = {"invalid_choice": _("“{input}” is not one of: {choices}.")}

    def to_internal_value(self, data):
        if not isinstance(data, str) or data not in self.choice_strings_to_values:
            self.fail("invalid_choice", input=data, choices=", ".join(self.choice_strings_to_values))
        return self.choice_strings_to_values[data]


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: `"2"`, `2.5`, `2.0` and `true` are refused."""

    default_error_messages = {"invalid": _("Must be a whole number (a JSON integer).")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


MONEY_RE = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")


@extend_schema_field({"type": "string", "pattern": r"^-?\d{1,12}(\.\d{1,2})?$", "example": "199.00",
                      "description": "Amount in CNY as a string with at most two decimals."})
class MoneyField(serializers.Field):
    """Money in and out as a decimal string (`"199.00"`); JSON numbers are refused (floats lie)."""

    default_error_messages = {
        "invalid": _("Must be an amount as a string with at most two decimals, e.g. “199.00”."),
        "min_value": _("Must be at least {min_value}."),
    }

    def __init__(self, *, min_value: Decimal | None = None, **kwargs):
        self.min_value = min_value
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not MONEY_RE.match(data):
            self.fail("invalid")
        value = to_money(data)
        if self.min_value is not None and value < self.min_value:
            self.fail("min_value", min_value=money_str(self.min_value))
        return value

    def to_representation(self, value):
        return money_str(value)


@extend_schema_field({"type": "string", "format": "date-time", "example": "2026-11-24T10:15:00+08:00"})
class OffsetDateTimeField(serializers.Field):
    """ISO 8601 with a UTC offset in; out in Asia/Shanghai time (`+08:00`), to the second."""

    default_error_messages = {
        "invalid": _("Must be a date and time in ISO 8601, e.g. “2026-11-24T10:15:00+08:00”."),
        "naive": _("Add the UTC offset, e.g. “2026-11-24T10:15:00+08:00”."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if timezone.is_naive(value):
            self.fail("naive")
        try:
            # 0001-01-01T00:00+08:00 has no UTC equivalent; and PostgreSQL refuses offsets beyond ±15:59,
            # so the value goes on in UTC (stored in UTC whatever offset the sender used).
            return value.astimezone(UTC)
        except OverflowError:
            self.fail("invalid")

    def to_representation(self, value: datetime):
        return local_iso(value)


def local_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value, timezone.get_default_timezone()).replace(microsecond=0).isoformat()


class StrictSerializer(serializers.Serializer):
    # Refuses unknown keys; on failure keeps the valid fields (nested ones too) in `partial_data`.
    # (A comment, not a docstring: subclasses' docstrings are their OpenAPI descriptions.)

    default_error_messages = {"unknown_field": _("Unknown field.")}

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            self.partial_data = None
            message = self.error_messages["invalid"].format(datatype=type(data).__name__)
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]}, code="invalid")
        ret: dict = {}
        errors: dict = {}
        for field in self._writable_fields:
            primitive = field.get_value(data)
            try:
                value = field.run_validation(primitive)
            except serializers.ValidationError as exc:
                errors[field.field_name] = exc.detail
                partial = getattr(exc, "partial_value", empty)
                if partial is not empty:
                    self.set_value(ret, field.source_attrs, partial)
            except DjangoValidationError as exc:
                errors[field.field_name] = get_error_detail(exc)
            except SkipField:
                pass
            else:
                self.set_value(ret, field.source_attrs, value)
        for key in data:
            if key not in self.fields:
                errors[str(key)] = [ErrorDetail(str(self.error_messages["unknown_field"]), code="unknown_field")]
        self.partial_data = ret
        if errors:
            exc = serializers.ValidationError(errors)
            exc.partial_value = ret
            raise exc
        return ret


class StrictListSerializer(serializers.ListSerializer):
    # Like ListSerializer, but keeps each item's valid part (by index) when some items fail.

    def to_internal_value(self, data):
        if not isinstance(data, list):
            message = self.error_messages["not_a_list"].format(input_type=type(data).__name__)
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]}, code="not_a_list")
        if not self.allow_empty and not data:
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [self.error_messages["empty"]]},
                                              code="empty")
        if self.max_length is not None and len(data) > self.max_length:
            message = self.error_messages["max_length"].format(max_length=self.max_length)
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]}, code="max_length")
        ret, errors = [], {}
        for index, item in enumerate(data):
            try:
                ret.append(self.run_child_validation(item))
            except serializers.ValidationError as exc:
                errors[index] = exc.detail
                partial = getattr(exc, "partial_value", None)
                ret.append(partial if isinstance(partial, dict) else {})
        if errors:
            exc = serializers.ValidationError(errors)
            exc.partial_value = ret
            raise exc
        return ret
