from decimal import Decimal

from django import template

from oms.core.money import format_cny

register = template.Library()


@register.filter
def cny(value) -> str:
    """`¥1,808.00`: money as clerks and couriers read it, whatever the locale's digit grouping."""
    return format_cny(value or 0)


@register.filter
def kg(value) -> str:
    """A weight without trailing zeros: 0.800 → `0.8`, 2.000 → `2`."""
    if value in (None, ""):
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
