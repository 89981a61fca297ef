from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.money import format_cny

register = template.Library()


@register.filter
def figure(value, money=False):
    """A report figure: ¥1,234.50 for money, 1,234 for counts, 1,234.5 for other decimals."""
    if value is None or value == "":
        return "—"
    if money:
        return format_cny(value)
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return intcomma(f"{value:.2f}")
    return intcomma(int(value))


@register.filter
def change(value):
    """+12.5% in green, −3.0% in red, — when there is nothing to compare with."""
    if value is None:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308 (a constant)
    css = "up" if value > 0 else "down" if value < 0 else "flat"
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return format_html('<span class="change {}">{}{}%</span>', css, sign, abs(value))
