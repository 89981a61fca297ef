"""Query filters of `GET /api/v1/orders` (django-filter). A bad value is a 400 naming the parameter.

Help texts are OpenAPI documentation, written in English like the rest of the schema.
"""

import re
from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from orders.models import Channel, Order, OrderStatus


class QueryIsoDateTimeField(IsoDateTimeField):
    """ISO 8601; an unencoded `+08:00` arrives as ` 08:00` in a query string and is read as meant."""

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip())
        result = super().to_python(value)
        if result is not None:
            try:
                result = result.astimezone(UTC)  # PostgreSQL refuses offsets beyond ±15:59 (e.g. +16:00)
            except OverflowError:  # year 1 at +08:00: no UTC equivalent to compare with
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return result


class QueryIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = QueryIsoDateTimeField


class OrderApiFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices, help_text="Only orders in this status.")
    channel = django_filters.ModelChoiceFilter(
        queryset=Channel.objects.all(), to_field_name="code", help_text="Only orders of this channel (its code).",
    )
    updated_since = QueryIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text="Only orders changed at or after this time (ISO 8601, e.g. 2026-11-24T10:15:00+08:00).",
    )

    class Meta:
        model = Order
        fields = ["status", "channel", "updated_since"]
