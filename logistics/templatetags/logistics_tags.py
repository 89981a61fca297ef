from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def kg(value) -> str:
    """A weight without trailing zeros: 0.800 → `0.8`, 2.000 → `2`."""
    if value in (None, ""):
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
